import java.io.IOException;
import java.io.Reader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.zip.ZipFile;

/**
 * What `java -jar quilt-server-launch.jar nogui` decides past the JVM's
 * checks of the jar (StandinServer's), for a Quilt server started on a real
 * container, as packages/artifacts/src/quilt/launcherDecision.ts and the sim
 * (apps/agent/src/sim/mcServer.pl) decide it, in the same words:
 *  - the JVM loads Main-Class (QuiltServerLauncher) from the jar or its
 *    Class-Path (entries relative to the jar's folder; a missing one is
 *    skipped), else "Error: Could not find or load main class <c>";
 *  - QuiltServerLauncher finds the server jar quilt-server-launcher.properties
 *    names (server.jar by default), else "The Minecraft server .JAR is
 *    missing (<path>)!";
 *  - Knot loads every Class-Path library: a skipped one would end in a
 *    NoClassDefFoundError, so a missing entry is refused, naming it.
 * Quilt's launcher never downloads (its installer does): each is an
 * outright refusal, and past them the stand-in game plays the game.
 */
final class QuiltLaunch {
    static final String MAIN_CLASS = "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher";

    private QuiltLaunch() {}

    /** Returns the loader version the Class-Path names (null when none), or exits as the launcher does. */
    static String decide(Path jar) throws IOException {
        List<String[]> classPath = new ArrayList<>(); // { entry as written, path inside the server directory or null }
        String mainClass;
        boolean found;
        try (JarFile launch = new JarFile(jar.toFile())) {
            Attributes main = launch.getManifest().getMainAttributes();
            mainClass = main.getValue("Main-Class").trim();
            String cp = main.getValue("Class-Path");
            for (String e : (cp == null ? "" : cp.trim()).split("\\s+")) {
                if (!e.isEmpty()) classPath.add(new String[] {e, inside(decode(e))});
            }
            found = launch.getEntry(mainClass.replace('.', '/') + ".class") != null;
        }
        String classFile = mainClass.replace('.', '/') + ".class";
        for (String[] e : classPath) {
            if (found) break;
            found = e[1] != null && Files.isRegularFile(Path.of(e[1])) && hasEntry(Path.of(e[1]), classFile);
        }
        if (!found) refuse("Error: Could not find or load main class " + mainClass + "\nCaused by: java.lang.ClassNotFoundException: " + mainClass);
        String serverJar = "server.jar";
        Path props = Path.of("quilt-server-launcher.properties");
        if (Files.isRegularFile(props)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(props, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            serverJar = p.getProperty("serverJar", serverJar);
        }
        String serverPath = inside(serverJar);
        if (serverPath == null || !Files.exists(Path.of(serverPath))) {
            refuse("The Minecraft server .JAR is missing (" + Path.of(serverJar).toAbsolutePath().normalize() + ")!\nWithout the official Minecraft server .JAR, Quilt Loader cannot launch.");
        }
        String loader = null;
        for (String[] e : classPath) {
            if (e[1] == null || !Files.exists(Path.of(e[1]))) {
                refuse("Class-Path entry " + e[0] + " of " + jar + " is missing: Quilt Loader would stop with a NoClassDefFoundError when it needs it");
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^libraries/org/quiltmc/quilt-loader/([^/]+)/").matcher(e[0]);
            if (loader == null && m.find()) loader = m.group(1);
        }
        return loader;
    }

    /** A path relative to the server directory that stays inside it, normalised; null for anything else (never followed out). */
    private static String inside(String p) {
        if (p.startsWith("/")) return null;
        Path n = Path.of(p).normalize();
        String s = n.toString();
        return s.equals("..") || s.startsWith("../") ? null : s;
    }

    private static String decode(String entry) {
        try {
            return URLDecoder.decode(entry.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return entry;
        }
    }

    private static boolean hasEntry(Path jar, String entry) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry(entry) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static void refuse(String message) {
        System.err.println(message);
        System.exit(1);
    }
}
