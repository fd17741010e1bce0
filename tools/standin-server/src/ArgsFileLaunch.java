import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipFile;

/**
 * What `java @<args files> nogui` decides before NeoForge's code runs (its
 * launch: `@user_jvm_args.txt @libraries/net/neoforged/neoforge/<v>/unix_args.txt`),
 * for a NeoForge server started on a real container: the stand-in java
 * passes the args files the unit names as -Dzlh.argFiles (`@a.txt@b/c.txt`),
 * and this makes the JVM's decision over them, in the JVM's words, on
 * stderr with exit 1, as packages/artifacts/src/neoforge/launchDecision.ts
 * and the sim (apps/agent/src/sim/mcServer.pl) do:
 *  - each args file must open: "Error: could not open `<file>'";
 *  - the main class (the first token neither an option nor an option's
 *    value) must be in a jar of the module path or class path, else
 *    "Error: Could not find or load main class <c>";
 *  - every module path, class path and -DlegacyClassPath= entry must be in
 *    place (BootstrapLauncher opens each as a jar: a missing one is a crash
 *    before the game).
 * NeoForge's BootstrapLauncher and FML never download: past these checks
 * the stand-in game (StandinServer) plays the main class's part.
 */
final class ArgsFileLaunch {
    private static final Set<String> WITH_VALUE = Set.of("-p", "--module-path", "-cp", "-classpath", "--class-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads", "--upgrade-module-path", "--patch-module");
    private static final Set<String> PATHS = Set.of("-p", "--module-path", "-cp", "-classpath", "--class-path");
    /** Bounds for hostile files: an args file and the jars it names are the server directory's, which the customer can write. */
    private static final long MAX_ARGS_FILE = 1024 * 1024;

    private ArgsFileLaunch() {}

    /** The main class the JVM would start from `files` (server-directory relative), or exits as the JVM does. */
    static String decide(String[] files) {
        List<String> tokens = new ArrayList<>();
        for (String file : files) {
            String text = read(file);
            if (text == null) refuse("Error: could not open `" + file + "'");
            tokens.addAll(tokens(text));
        }
        List<String> paths = new ArrayList<>();
        String mainClass = null;
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (WITH_VALUE.contains(t)) {
                String value = i + 1 < tokens.size() ? tokens.get(++i) : "";
                if (PATHS.contains(t)) split(value, paths);
                continue;
            }
            if (t.startsWith("-DlegacyClassPath=")) {
                split(t.substring("-DlegacyClassPath=".length()), paths);
                continue;
            }
            if (t.startsWith("-")) continue;
            mainClass = t;
            break;
        }
        if (mainClass == null) refuse("Error: no main class named in the args files");
        String entry = mainClass.replace('.', '/') + ".class";
        boolean found = false;
        String missing = null;
        for (String p : paths) {
            Path path = Path.of(p);
            if (!Files.isRegularFile(path)) {
                if (missing == null) missing = p;
                continue;
            }
            if (!found) found = hasEntry(path, entry);
        }
        if (!found) refuse("Error: Could not find or load main class " + mainClass + "\nCaused by: java.lang.ClassNotFoundException: " + mainClass);
        if (missing != null) refuse("a library the launch names is missing: " + missing);
        return mainClass;
    }

    /** An args file as the java launcher reads it (JDK's args.c): white space separates, `#` starting a token comments to the line's end, quotes group. */
    static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        boolean has = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else token.append(c);
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                has = true;
            } else if (Character.isWhitespace(c)) {
                if (has) out.add(token.toString());
                token.setLength(0);
                has = false;
            } else if (c == '#' && !has) {
                while (i < text.length() && text.charAt(i) != '\n') i++;
            } else {
                token.append(c);
                has = true;
            }
        }
        if (has) out.add(token.toString());
        return out;
    }

    private static void split(String value, List<String> into) {
        for (String p : value.split(":")) if (!p.isEmpty()) into.add(p);
    }

    private static String read(String file) {
        try {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path) || Files.size(path) > MAX_ARGS_FILE) return null;
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean hasEntry(Path jar, String entry) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return zip.getEntry(entry) != null;
        } catch (IOException e) {
            return false; // not a jar: the JVM skips it when looking for a class
        }
    }

    private static void refuse(String message) {
        System.err.println(message);
        System.exit(1);
    }
}
