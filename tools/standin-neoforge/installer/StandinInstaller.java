import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import net.minecraftforge.installer.actions.PostProcessors;

/**
 * A stand-in for NeoForge's installer (neoforged/LegacyInstaller) in its
 * headless server install, `java -jar <installer> --installServer <dir>
 * [--offline]`, for tests on a machine with no network and no real
 * NeoForge. It reads install_profile.json and the version json from its
 * own jar as the real one does and follows its steps with its wording:
 * the Minecraft server jar at serverJarPath (missing: the real one would
 * fetch Mojang's version manifest, which offline it cannot); every library
 * present with its sha1, else copied from the installer's own maven/, else
 * downloaded (offline: refused with the real line); the profile's data
 * resolved; Mojang's server mappings copied to {MOJMAPS} from the local
 * source when they are there, which skips DOWNLOAD_MOJMAPS; then each
 * server-side processor run in-process from its jar's Main-Class with its
 * classpath, outputs checked by sha1. The local source is upstream's
 * Downloader.LOCAL: the jar's own /maven/ entries, then, for a jar at
 * <X>/build/libs/<jar>, <X>/src/main/resources/maven/. Written from the
 * installer's source, sharing none of it.
 */
public final class StandinInstaller {
    private static PrintStream log;
    private static boolean offline;
    /** Downloader.LOCAL, detected once when the class loads (LocalSource.detect). */
    private static final LocalSource LOCAL = detect();

    public static void main(String[] args) throws Exception {
        File installer = new File(StandinInstaller.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        log = new PrintStream(new TeeStream(System.out, new FileOutputStream(installer.getName() + ".log")), true, StandardCharsets.UTF_8);
        File target = null;
        for (int a = 0; a < args.length; a++) {
            if (args[a].equals("--offline")) offline = true;
            else if (args[a].equals("--installServer")) target = (a + 1 < args.length && !args[a + 1].startsWith("--")) ? new File(args[++a]) : new File(".");
            else if (args[a].equals("--help") || args[a].equals("-h")) { log.println("Option  Description\n--installServer  Install a server to the current directory\n--offline  Don't attempt any network calls"); return; }
        }
        log.println("JVM info: " + System.getProperty("java.vendor") + " - " + System.getProperty("java.version") + " - " + System.getProperty("java.vm.version"));
        if (offline) log.println("ENABLING OFFLINE MODE");
        if (target == null) { log.println("This stand-in installs servers only: pass --installServer <dir>."); System.exit(1); }
        log.println("Target Directory: " + target);
        try {
            Map<String, Object> profile = object(Json.parse(resource("/install_profile.json")));
            Map<String, Object> version = object(Json.parse(resource(((String) profile.get("json")).startsWith("/") ? (String) profile.get("json") : "/" + profile.get("json"))));
            if (!install(profile, version, target, installer)) {
                log.println("There was an error during installation");
                System.exit(1);
            }
            log.println("The server installed successfully");
            log.println("You can delete this installer file now if you wish");
            System.exit(0);
        } catch (Throwable e) {
            e.printStackTrace(log);
            log.println("A problem installing was detected, install cannot continue");
            System.exit(1);
        }
    }

    private static boolean install(Map<String, Object> profile, Map<String, Object> version, File target, File installer) throws Exception {
        if (target.exists() && !target.isDirectory()) { log.println("There is a file at this location, the server cannot be installed here!"); return false; }
        File libraries = new File(target, "libraries");
        target.mkdirs();
        libraries.mkdir();
        String minecraft = (String) profile.get("minecraft");
        log.println("Considering Minecraft server jar");
        File server = new File(((String) profile.get("serverJarPath")).replace("{LIBRARY_DIR}", libraries.getAbsolutePath()).replace("{MINECRAFT_VERSION}", minecraft));
        if (!server.exists()) {
            String manifest = "https://piston-meta.mojang.com/mc/game/version_manifest_v2.json";
            if (offline) {
                log.println("\tLibrary not cached, expecting download from " + manifest + ", but running in offline mode.");
                throw new RuntimeException("Running in offline mode, cannot download from " + manifest + ", cached version not found");
            }
            return download(manifest, null, new File(target, "version_manifest.json")) && false;
        }
        List<Object> processors = profile.get("processors") == null ? List.of() : list(profile.get("processors"));
        List<Object> libs = new ArrayList<>(list(version.get("libraries")));
        if (!serverProcessors(processors).isEmpty()) libs.addAll(list(profile.get("libraries")));
        StringBuilder bad = new StringBuilder();
        for (Object o : libs) {
            Map<String, Object> lib = object(o);
            Map<String, Object> artifact = object(object(lib.get("downloads")).get("artifact"));
            String name = (String) lib.get("name");
            log.println("Considering library " + name);
            String url = (String) artifact.get("url");
            if (url == null || url.isEmpty()) { log.println("  Invalid library, missing url"); continue; }
            if (!library(new File(libraries, (String) artifact.get("path")), (String) artifact.get("path"), url, (String) artifact.get("sha1"))) bad.append('\n').append(name);
        }
        if (bad.length() > 0) { log.println("These libraries failed to download. Try again." + bad); return false; }
        return process(profile, serverProcessors(processors), libraries, server, target, installer);
    }

    /** Downloader.download: a present file with the sha1, else the local source's (LOCAL), else the network (never offline). */
    private static boolean library(File file, String path, String url, String sha1) throws IOException {
        if (file.exists() && sha1 != null) {
            if (sha1.equals(sha1(file))) { log.println("File " + file + " exists. Checksum valid."); return true; }
            log.println("File " + file + " exists. Invalid checksum, deleting file.");
            file.delete();
        }
        file.getParentFile().mkdirs();
        LocalFile local = LOCAL.artifact(path);
        if (local != null) {
            try (InputStream in = local.stream) { Files.copy(in, file.toPath(), StandardCopyOption.REPLACE_EXISTING); }
            if (sha1 == null || sha1.equals(sha1(file))) { log.println("Downloaded file locally from " + local.path + ", valid checksum."); return true; }
            log.println("Invalid checksum. Downloaded locally from " + local.path);
        }
        if (offline) {
            log.println("\tFound no cached library at " + file + ", expecting download from " + url + ", but running in offline mode.");
            return false;
        }
        return download(url, sha1, file);
    }

    private static boolean download(String url, String sha1, File file) {
        log.println("Downloading library from " + url);
        try (InputStream in = new URL(url).openStream()) {
            Files.copy(in, file.toPath(), StandardCopyOption.REPLACE_EXISTING);
            return sha1 == null || sha1.equals(sha1(file));
        } catch (IOException e) {
            log.println("Failed to download from " + url + ": " + e);
            return false;
        }
    }

    private static List<Map<String, Object>> serverProcessors(List<Object> all) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : all) {
            Map<String, Object> p = object(o);
            if (p.get("sides") == null || list(p.get("sides")).contains("server")) out.add(p);
        }
        return out;
    }

    /** PostProcessors.process for the server side. */
    private static boolean process(Map<String, Object> profile, List<Map<String, Object>> processors, File libraries, File minecraft, File root, File installer) throws Exception {
        Map<String, String> data = new LinkedHashMap<>();
        Map<String, Object> declared = profile.get("data") == null ? Map.of() : object(profile.get("data"));
        if (!declared.isEmpty()) {
            Path temp = Files.createTempDirectory("neoforge_installer");
            log.println("Created Temporary Directory: " + temp);
            StringBuilder err = new StringBuilder();
            for (Map.Entry<String, Object> e : declared.entrySet()) {
                String value = (String) object(e.getValue()).get("server");
                if (value.startsWith("[") && value.endsWith("]")) data.put(e.getKey(), new Artifact(value.substring(1, value.length() - 1)).localPath(libraries).getAbsolutePath());
                else if (value.startsWith("'") && value.endsWith("'")) data.put(e.getKey(), value.substring(1, value.length() - 1));
                else {
                    File out = new File(temp.toFile(), value);
                    log.println("  Extracting: " + value);
                    out.getParentFile().mkdirs();
                    try (InputStream in = StandinInstaller.class.getResourceAsStream(value.startsWith("/") ? value : "/" + value)) {
                        if (in == null) { log.println("File not found in installer archive: " + value); err.append("\n  ").append(value); }
                        else Files.copy(in, out.toPath(), StandardCopyOption.REPLACE_EXISTING);
                    }
                    data.put(e.getKey(), out.getAbsolutePath());
                }
            }
            if (err.length() > 0) { log.println("Failed to extract files from archive: " + err); return false; }
        }
        data.put("SIDE", "server");
        data.put("MINECRAFT_JAR", minecraft.getAbsolutePath());
        data.put("MINECRAFT_VERSION", (String) profile.get("minecraft"));
        data.put("ROOT", root.getAbsolutePath());
        data.put("INSTALLER", installer.getAbsolutePath());
        data.put("LIBRARY_DIR", libraries.getAbsolutePath());
        // PostProcessors.process: the mappings from the local source, if there, to {MOJMAPS}; DOWNLOAD_MOJMAPS is then skipped.
        LocalFile mappings = LOCAL.artifact("minecraft/" + profile.get("minecraft") + "/" + data.get("SIDE") + "_mappings.txt");
        boolean mojmapsSuccess = false;
        if (mappings != null) {
            File out = new File(data.get("MOJMAPS"));
            out.getParentFile().mkdirs();
            try (InputStream in = mappings.stream) { Files.copy(in, out.toPath(), StandardCopyOption.REPLACE_EXISTING); }
            log.println("Downloaded file locally from " + mappings.path + ", no checksum provided, assuming valid.");
            mojmapsSuccess = true;
        }
        log.println(processors.size() == 1 ? "Building Processor" : "Building Processors");
        for (Map<String, Object> proc : processors) {
            log.println("===============================================================================");
            List<Object> procArgs = list(proc.get("args"));
            if (new Artifact((String) proc.get("jar")).name.equals("installertools") && mojmapsSuccess && "DOWNLOAD_MOJMAPS".equals(procArgs.get(procArgs.indexOf("--task") + 1))) {
                log.println(PostProcessors.MOJMAPS_CACHE_HIT);
                continue;
            }
            Map<String, String> outputs = new LinkedHashMap<>();
            Map<String, Object> declaredOutputs = proc.get("outputs") == null ? Map.of() : object(proc.get("outputs"));
            boolean miss = declaredOutputs.isEmpty();
            for (Map.Entry<String, Object> e : declaredOutputs.entrySet()) {
                String key = e.getKey().startsWith("[") ? new Artifact(e.getKey().substring(1, e.getKey().length() - 1)).localPath(libraries).getAbsolutePath() : tokens(data, e.getKey());
                String value = tokens(data, (String) e.getValue());
                outputs.put(key, value);
                File f = new File(key);
                if (!f.exists() || !value.equals(sha1(f))) { miss = true; f.delete(); }
            }
            if (!miss) { log.println("  Cache Hit!"); continue; }
            File jar = new Artifact((String) proc.get("jar")).localPath(libraries);
            if (!jar.isFile()) { log.println("  Missing Jar for processor: " + jar.getAbsolutePath()); return false; }
            String mainClass;
            try (JarFile jf = new JarFile(jar)) { mainClass = jf.getManifest().getMainAttributes().getValue(Attributes.Name.MAIN_CLASS); }
            if (mainClass == null || mainClass.isEmpty()) { log.println("  Jar does not have main class: " + jar.getAbsolutePath()); return false; }
            List<URL> classpath = new ArrayList<>();
            classpath.add(jar.toURI().toURL());
            StringBuilder err = new StringBuilder();
            for (Object dep : proc.get("classpath") == null ? List.of() : list(proc.get("classpath"))) {
                File lib = new Artifact((String) dep).localPath(libraries);
                if (!lib.isFile()) err.append("\n  ").append(dep);
                classpath.add(lib.toURI().toURL());
            }
            if (err.length() > 0) { log.println("  Missing Processor Dependencies: " + err); return false; }
            List<String> args = new ArrayList<>();
            for (Object a : list(proc.get("args"))) {
                String arg = (String) a;
                args.add(arg.startsWith("[") && arg.endsWith("]") ? new Artifact(arg.substring(1, arg.length() - 1)).localPath(libraries).getAbsolutePath() : tokens(data, arg));
            }
            log.println("  MainClass: " + mainClass);
            log.println("  Args: " + String.join(", ", args));
            try (URLClassLoader cl = new URLClassLoader(classpath.toArray(new URL[0]), ClassLoader.getPlatformClassLoader())) {
                Method main = Class.forName(mainClass, true, cl).getDeclaredMethod("main", String[].class);
                main.invoke(null, (Object) args.toArray(new String[0]));
            } catch (InvocationTargetException ite) {
                Throwable e = ite.getCause();
                e.printStackTrace(log);
                log.println("Failed to run processor: " + e.getClass().getName() + (e.getMessage() == null ? "" : ":" + e.getMessage()));
                log.println("See log for more details.");
                return false;
            }
            for (Map.Entry<String, String> e : outputs.entrySet()) {
                File f = new File(e.getKey());
                if (!f.exists()) err.append("\n    ").append(e.getKey()).append(" missing");
                else if (!e.getValue().equals(sha1(f))) err.append("\n    ").append(e.getKey()).append("\n      Expected: ").append(e.getValue()).append("\n      Actual:   ").append(sha1(f));
                else log.println("  Output: " + e.getKey() + " Checksum Validated: " + e.getValue());
            }
            if (err.length() > 0) { log.println("  Processor failed, invalid outputs:" + err); return false; }
        }
        return true;
    }

    /** Util.replaceTokens: `{KEY}` from data, `'…'` quoted literally. */
    private static String tokens(Map<String, String> data, String s) {
        StringBuilder b = new StringBuilder();
        for (int x = 0; x < s.length(); x++) {
            char c = s.charAt(x);
            if (c == '{') {
                int end = s.indexOf('}', x);
                String key = s.substring(x + 1, end);
                String v = data.get(key);
                if (v == null) throw new IllegalStateException("Missing key: " + key);
                b.append(v);
                x = end;
            } else if (c == '\'') {
                int end = s.indexOf('\'', x + 1);
                b.append(s, x + 1, end);
                x = end;
            } else b.append(c);
        }
        return b.toString();
    }

    /** A file of the local source and where it was found (`jar:/maven/<path>`, or its absolute path). */
    private static final class LocalFile {
        final InputStream stream;
        final String path;
        LocalFile(InputStream stream, String path) { this.stream = stream; this.path = path; }
    }

    private interface LocalSource {
        LocalFile artifact(String path) throws IOException;
    }

    /** LocalSource.detect for a jar: fromResource, falling back to walkFromLibs. */
    private static LocalSource detect() {
        Path jar;
        try {
            jar = Path.of(StandinInstaller.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new RuntimeException(e);
        }
        Path base = walkFromLibs(jar);
        return p -> {
            InputStream in = StandinInstaller.class.getResourceAsStream("/maven/" + p);
            if (in != null) return new LocalFile(in, "jar:/maven/" + p);
            if (base == null) return null;
            Path f = base.resolve(p);
            try {
                return new LocalFile(Files.newInputStream(f), f.toFile().getAbsolutePath());
            } catch (java.nio.file.NoSuchFileException e) {
                return null;
            }
        };
    }

    /** LocalSource.walkFromLibs: for <X>/build/libs/<jar>, <X>/src/main/resources/maven when it is a directory; else none. */
    private static Path walkFromLibs(Path jar) {
        Path libs = jar.getParent();
        if (libs == null || libs.getFileName() == null || !libs.getFileName().toString().equals("libs")) return null;
        Path build = libs.getParent();
        if (build == null || build.getFileName() == null || !build.getFileName().toString().equals("build")) return null;
        Path x = build.getParent();
        if (x == null) return null;
        Path base = x.resolve("src/main/resources/maven");
        return Files.isDirectory(base) ? base : null;
    }

    static String sha1(File f) throws IOException {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(f.toPath()));
            StringBuilder b = new StringBuilder();
            for (byte x : d) b.append(String.format("%02x", x));
            return b.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IOException(e);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = StandinInstaller.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("File not found in installer archive: " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) { return (List<Object>) o; }

    /** The installer writes its log beside itself and to stdout. */
    private static final class TeeStream extends OutputStream {
        private final OutputStream a, b;
        TeeStream(OutputStream a, OutputStream b) { this.a = a; this.b = b; }
        @Override public void write(int c) throws IOException { a.write(c); b.write(c); }
        @Override public void write(byte[] buf, int off, int len) throws IOException { a.write(buf, off, len); b.write(buf, off, len); }
        @Override public void flush() throws IOException { a.flush(); b.flush(); }
    }
}
