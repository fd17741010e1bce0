import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * A stand-in for the vanilla Minecraft server, for tests on real containers:
 * it is started the way the game is (`java -Xmx.. -jar <jar> nogui` in the
 * server directory) and behaves like it where the agent looks: eula.txt,
 * server.properties (read by java.util.Properties, as vanilla reads it),
 * logs/latest.log in vanilla's layout, the Server List Ping with the players
 * logged in (an offline-mode login: Login.java), RCON, a world
 * saved by a shutdown hook on SIGTERM (the JVM then exits 143), and
 * "FAILED TO BIND TO PORT" when the port is taken. Everything a client sends
 * is treated as hostile: bounded packets, read timeouts, a connection cap.
 * A Paper or Purpur jar named by the unit is set up first as its Paperclip
 * would set it up (Paperclip.java), Quilt's launch jar is decided as its
 * launcher decides it (QuiltLaunch.java), and NeoForge's args files as the
 * JVM reads them (ArgsFileLaunch.java); this server then plays the game.
 */
public final class StandinServer {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    private static final Semaphore CONNECTIONS = new Semaphore(64);

    private static PrintStream log;
    static Properties props;
    static String rconPassword;
    static int maxPlayers;
    static volatile boolean autosave = true;
    private static final Object SAVE_LOCK = new Object();

    public static void main(String[] args) throws Exception {
        String launched = System.getProperty("zlh.jar");
        String argFiles = System.getProperty("zlh.argFiles", "");
        String launcher = null;
        if (!argFiles.isEmpty()) {
            // NeoForge: `java @user_jvm_args.txt @.../unix_args.txt nogui`, decided by the JVM over its args files.
            // As the stand-in java passes them: each with its `@` (`@a.txt@b/c.txt`; the unit's paths hold no `@`).
            String[] files = java.util.Arrays.stream(argFiles.split("@")).filter(f -> !f.isEmpty()).toArray(String[]::new);
            launcher = "Starting " + ArgsFileLaunch.decide(files) + " (NeoForge)";
        } else {
            String mainClass = checkLaunchedJar(launched);
            // A Paper or Purpur jar is Paperclip: it sets up the patched game first, then starts it (this server plays the game).
            if (Paperclip.MAIN_CLASS.equals(mainClass)) Paperclip.setup(Path.of(launched));
            // Quilt's launch jar: its main class on the Class-Path, the server jar, every library.
            if (QuiltLaunch.MAIN_CLASS.equals(mainClass)) launcher = "Loading Minecraft " + gameVersion() + " with Quilt Loader " + QuiltLaunch.decide(Path.of(launched));
        }
        Files.createDirectories(Path.of("logs"));
        log = new PrintStream(Files.newOutputStream(Path.of("logs", "latest.log")), true, StandardCharsets.UTF_8);
        if (launcher != null) log("main", "INFO", launcher);
        log("main", "INFO", "Starting minecraft server version " + gameVersion() + " (stand-in)");
        if (!eulaAgreed()) {
            // Vanilla logs this and returns from main: the process ends without starting the game.
            log("main", "INFO", "You need to agree to the EULA in order to run the server. Go to eula.txt for more info.");
            System.exit(0);
        }
        log("Server thread", "INFO", "Loading properties");
        props = loadProperties(Path.of("server.properties"));
        maxPlayers = intProp("max-players", 20);
        String ip = props.getProperty("server-ip", "").trim();
        int port = intProp("server-port", 25565);
        InetAddress bindTo = ip.isEmpty() ? null : InetAddress.getByName(ip);
        log("Server thread", "INFO", "Starting Minecraft server on " + (ip.isEmpty() ? "*" : ip) + ":" + port);
        ServerSocket game;
        try {
            game = listen(bindTo, port);
        } catch (IOException e) {
            log("Server thread", "WARN", "**** FAILED TO BIND TO PORT!");
            log("Server thread", "WARN", "The exception was: " + e);
            log("Server thread", "WARN", "Perhaps a server is already running on that port?");
            System.exit(1);
            return;
        }
        log("Server thread", "INFO", "Preparing level \"world\"");
        // The world is written when it is saved (save-all, stop, SIGTERM), never at start: a level.dat proves a save.
        Runtime.getRuntime().addShutdownHook(new Thread(StandinServer::shutdown, "Server Shutdown Thread"));
        log("Server thread", "INFO", "Done (0.100s)! For help, type \"help\"");
        if ("true".equals(props.getProperty("enable-rcon", "false").trim())) startRcon(bindTo);
        acceptLoop(game, "Server Listener", StatusPing::serve);
    }

    /**
     * The JVM's own checks of the jar the unit names (`-jar <jar>`), which the
     * stand-in java passes on as -Dzlh.jar: it runs this server in its place,
     * but must refuse where java would, with java's wording, on stderr, exit 1.
     * Returns the jar's Main-Class (null without a jar).
     */
    private static String checkLaunchedJar(String jar) {
        if (jar == null || jar.isEmpty()) return null;
        Path path = Path.of(jar);
        if (!Files.isReadable(path)) refuseJar("Error: Unable to access jarfile " + jar);
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(path.toFile())) {
            java.util.jar.Manifest mf = file.getManifest();
            if (mf == null || mf.getMainAttributes().getValue("Main-Class") == null) refuseJar("no main manifest attribute, in " + jar);
            return mf.getMainAttributes().getValue("Main-Class").trim();
        } catch (IOException e) {
            refuseJar("Error: Invalid or corrupt jarfile " + jar);
            return null;
        }
    }

    private static void refuseJar(String message) {
        System.err.println(message);
        System.exit(1);
    }

    private static void shutdown() {
        log("Server Shutdown Thread", "INFO", "Stopping server");
        log("Server Shutdown Thread", "INFO", "Saving worlds");
        try {
            saveWorld();
        } catch (IOException e) {
            log("Server Shutdown Thread", "ERROR", "Failed to save the world: " + e);
        }
        log("Server Shutdown Thread", "INFO", "ThreadedAnvilChunkStorage (world): All chunks are saved");
    }

    static void log(String thread, String level, String msg) {
        String line = "[" + LocalTime.now().format(TIME) + "] [" + thread + "/" + level + "]: " + msg;
        System.out.println(line);
        if (log != null) log.println(line);
    }

    private static boolean eulaAgreed() throws IOException {
        Path eula = Path.of("eula.txt");
        if (!Files.exists(eula)) {
            log("main", "WARN", "Failed to load eula.txt");
            Files.writeString(eula, "#By changing the setting below to TRUE you are indicating your agreement to our EULA (https://aka.ms/MinecraftEULA).\neula=false\n");
            return false;
        }
        return "true".equals(loadProperties(eula).getProperty("eula", "false"));
    }

    private static Properties loadProperties(Path path) throws IOException {
        Properties p = new Properties();
        if (Files.exists(path)) {
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        return p;
    }

    private static int intProp(String key, int fallback) {
        try {
            return Integer.parseInt(props.getProperty(key, String.valueOf(fallback)).trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** The game version the agent placed (.zlh/manifest.json "game"), so readiness checks see the expected one. */
    static String gameVersion() {
        try {
            String json = Files.readString(Path.of(".zlh", "manifest.json"));
            Matcher m = Pattern.compile("\"game\"\\s*:\\s*\"([0-9A-Za-z.\\-+ ]{1,64})\"").matcher(json);
            if (m.find()) return m.group(1);
        } catch (IOException e) {
            // no manifest: a plain test directory
        }
        return "1.20.1";
    }

    private static ServerSocket listen(InetAddress address, int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(new InetSocketAddress(address, port), 50);
        } catch (BindException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private static void startRcon(InetAddress bindTo) {
        rconPassword = props.getProperty("rcon.password", "");
        if (rconPassword.isEmpty()) {
            log("Server thread", "WARN", "No rcon password set in server.properties, rcon disabled!");
            return;
        }
        int port = intProp("rcon.port", 25575);
        log("Server thread", "INFO", "Starting remote control listener");
        try {
            ServerSocket s = listen(bindTo, port);
            log("Server thread", "INFO", "Thread RCON Listener started");
            log("RCON Listener #1", "INFO", "RCON running on " + (bindTo == null ? "0.0.0.0" : bindTo.getHostAddress()) + ":" + port);
            Thread t = new Thread(() -> acceptLoop(s, "RCON Client", Rcon::serve), "RCON Listener #1");
            t.setDaemon(true);
            t.start();
        } catch (IOException e) {
            log("Server thread", "WARN", "Unable to initialise RCON on " + port + ": " + e);
        }
    }

    interface Handler {
        void serve(Socket s) throws IOException;
    }

    private static void acceptLoop(ServerSocket server, String name, Handler handler) {
        while (true) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return;
            }
            if (!CONNECTIONS.tryAcquire()) {
                closeQuietly(s);
                continue;
            }
            Thread t = new Thread(() -> {
                try (s) {
                    s.setSoTimeout(10_000);
                    handler.serve(s);
                } catch (IOException | RuntimeException e) {
                    // a client that misbehaves is dropped
                } finally {
                    CONNECTIONS.release();
                }
            }, name);
            t.setDaemon(true);
            t.start();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    // ---- The world: level.dat as vanilla writes it (gzipped NBT, level.dat_new renamed over level.dat).

    static void saveWorld() throws IOException {
        synchronized (SAVE_LOCK) {
            Path world = Path.of("world");
            Files.createDirectories(world);
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            try (DataOutputStream nbt = new DataOutputStream(new GZIPOutputStream(raw))) {
                nbt.writeByte(10); // TAG_Compound ""
                nbt.writeUTF("");
                nbt.writeByte(10); // TAG_Compound "Data"
                nbt.writeUTF("Data");
                nbt.writeByte(8); // TAG_String
                nbt.writeUTF("LevelName");
                nbt.writeUTF("world");
                nbt.writeByte(4); // TAG_Long
                nbt.writeUTF("LastPlayed");
                nbt.writeLong(System.currentTimeMillis());
                nbt.writeByte(0);
                nbt.writeByte(0);
            }
            Path tmp = world.resolve("level.dat_new");
            Files.write(tmp, raw.toByteArray());
            Files.move(tmp, world.resolve("level.dat"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
