import java.io.File;

/** A Maven coordinate `group:name:version[:classifier][@ext]` and where it lives under a libraries directory, as the installer lays it out. */
final class Artifact {
    final String descriptor;
    final String name;
    final String path;

    Artifact(String descriptor) {
        this.descriptor = descriptor;
        String ext = "jar";
        String d = descriptor;
        int at = d.indexOf('@');
        if (at >= 0) { ext = d.substring(at + 1); d = d.substring(0, at); }
        String[] p = d.split(":");
        this.name = p[1];
        String file = p[1] + "-" + p[2] + (p.length > 3 ? "-" + p[3] : "") + "." + ext;
        this.path = p[0].replace('.', '/') + "/" + p[1] + "/" + p[2] + "/" + file;
    }

    File localPath(File root) { return new File(root, path); }
}
