import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A stand-in for net.neoforged.installertools (the processor jar NeoForge's
 * install profile runs), with the two server tasks a NeoForge server install
 * needs that do not need the network or NeoForm's toolchain:
 *  - EXTRACT_FILES --archive <zip> (--from <entry> --to <file>)... [--exec <file>]... [--optional <file>]...:
 *    copies entries of the installer (run.sh, user_jvm_args.txt, unix_args.txt)
 *    to where the server reads them; an --optional target that exists is kept
 *    (user_jvm_args.txt is the operator's), an --exec target is made executable;
 *  - BUNDLER_EXTRACT --input <Mojang's server jar> --output <file> --jar-only:
 *    the game jar out of Mojang's bundler (META-INF/versions.list names it);
 *  - DOWNLOAD_MOJMAPS --version <game> --side <side> --output <file>: opens
 *    Mojang's version manifest first, as the real task always does
 *    (DownloadMojmaps.java), so with no network it fails there; reached, it
 *    goes no further (a stand-in downloads nothing).
 * Any other task is refused, naming it.
 */
public final class InstallerTools {
    public static void main(String[] args) throws IOException {
        String task = value(args, "--task");
        if ("EXTRACT_FILES".equals(task)) extractFiles(args);
        else if ("BUNDLER_EXTRACT".equals(task)) bundlerExtract(args);
        else if ("DOWNLOAD_MOJMAPS".equals(task)) downloadMojmaps(args);
        else throw new IllegalArgumentException("Unknown task: " + task + " (the stand-in installertools runs EXTRACT_FILES, BUNDLER_EXTRACT and DOWNLOAD_MOJMAPS)");
    }

    private static final String MANIFEST_URL = "https://launchermeta.mojang.com/mc/game/version_manifest.json";

    private static void downloadMojmaps(String[] args) throws IOException {
        File output = new File(value(args, "--output"));
        System.out.println("MC Version: " + value(args, "--version"));
        System.out.println("Side:       " + value(args, "--side"));
        System.out.println("Output:     " + output);
        if (output.exists() && !output.delete()) throw new IOException("Could not delete output file: " + output);
        if (!output.getParentFile().exists() && !output.getParentFile().mkdirs()) throw new IOException("Could not make output folders: " + output.getParentFile());
        try (InputStream manifest = new URL(MANIFEST_URL).openStream()) {
            throw new IOException("the stand-in installertools downloads no mappings (it reached " + MANIFEST_URL + ")");
        }
    }

    private static void extractFiles(String[] args) throws IOException {
        List<String> from = values(args, "--from"), to = values(args, "--to"), exec = values(args, "--exec"), optional = values(args, "--optional");
        if (from.size() != to.size()) throw new IllegalArgumentException("Mismatched --from and --to");
        try (ZipFile zip = new ZipFile(value(args, "--archive"))) {
            for (int i = 0; i < from.size(); i++) {
                File out = new File(to.get(i));
                if (optional.contains(to.get(i)) && out.exists()) continue;
                ZipEntry e = zip.getEntry(from.get(i));
                if (e == null) throw new IOException("Archive does not contain " + from.get(i));
                out.getParentFile().mkdirs();
                try (InputStream in = zip.getInputStream(e)) { Files.copy(in, out.toPath(), StandardCopyOption.REPLACE_EXISTING); }
                if (exec.contains(to.get(i))) out.setExecutable(true, false);
            }
        }
    }

    private static void bundlerExtract(String[] args) throws IOException {
        File out = new File(value(args, "--output"));
        try (ZipFile zip = new ZipFile(value(args, "--input"))) {
            ZipEntry list = zip.getEntry("META-INF/versions.list");
            if (list == null) throw new IOException("Input is not a bundler jar: no META-INF/versions.list");
            String line = new String(zip.getInputStream(list).readAllBytes(), StandardCharsets.UTF_8).trim().split("\n")[0];
            String path = line.split("\t")[2];
            ZipEntry e = zip.getEntry("META-INF/versions/" + path);
            if (e == null) throw new IOException("Bundler jar does not contain META-INF/versions/" + path);
            out.getParentFile().mkdirs();
            try (InputStream in = zip.getInputStream(e)) { Files.copy(in, out.toPath(), StandardCopyOption.REPLACE_EXISTING); }
        }
    }

    private static String value(String[] args, String name) {
        List<String> v = values(args, name);
        if (v.isEmpty()) throw new IllegalArgumentException("Missing required option " + name);
        return v.get(0);
    }

    private static List<String> values(String[] args, String name) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) out.add(args[++i]);
        return out;
    }
}
