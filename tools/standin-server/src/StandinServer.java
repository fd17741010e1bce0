import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * logs/latest.log in vanilla's layout, the Server List Ping, RCON, a world
 * saved by a shutdown hook on SIGTERM (the JVM then exits 143), and
 * "FAILED TO BIND TO PORT" when the port is taken. Everything a client sends
 * is treated as hostile: bounded packets, read timeouts, a connection cap.
 */
public final class StandinServer {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** Vanilla's RCON request limit (RconClient reads into a 1460-byte buffer). */
    private static final int RCON_MAX = 1460;
    /** A status client sends a few dozen bytes; anything larger is not a Minecraft client. */
    private static final int SLP_MAX = 32 * 1024;
    private static final Semaphore CONNECTIONS = new Semaphore(64);

    private static PrintStream log;
    private static Properties props;
    private static String rconPassword;
    private static int maxPlayers;
    private static volatile boolean autosave = true;
    private static final Object SAVE_LOCK = new Object();

    public static void main(String[] args) throws Exception {
        Files.createDirectories(Path.of("logs"));
        log = new PrintStream(Files.newOutputStream(Path.of("logs", "latest.log")), true, StandardCharsets.UTF_8);
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
        acceptLoop(game, "Server Listener", StandinServer::serveStatus);
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

    private static void log(String thread, String level, String msg) {
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
    private static String gameVersion() {
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
            Thread t = new Thread(() -> acceptLoop(s, "RCON Client", StandinServer::serveRcon), "RCON Listener #1");
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

    // ---- Server List Ping: handshake (next state 1), status request, ping.

    private static void serveStatus(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] handshake = readPacket(in);
        Buf h = new Buf(handshake);
        if (h.varint() != 0) return;
        h.varint(); // protocol version
        h.skip(h.varint()); // server address
        h.skip(2); // port
        if (h.varint() != 1) return; // only the status state is served
        while (true) {
            Buf p = new Buf(readPacket(in));
            int id = p.varint();
            if (id == 0) {
                byte[] json = statusJson().getBytes(StandardCharsets.UTF_8);
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                writeVarint(body, json.length);
                body.write(json);
                writePacket(out, 0, body.toByteArray());
            } else if (id == 1) {
                writePacket(out, 1, p.rest());
                return;
            } else {
                return;
            }
        }
    }

    private static String statusJson() {
        return "{\"version\":{\"name\":" + jsonString(gameVersion()) + ",\"protocol\":763},"
                + "\"players\":{\"max\":" + maxPlayers + ",\"online\":0,\"sample\":[]},"
                + "\"description\":{\"text\":" + jsonString(props.getProperty("motd", "A Minecraft Server")) + "},"
                + "\"enforcesSecureChat\":false}";
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    private static byte[] readPacket(InputStream in) throws IOException {
        int len = readVarint(in);
        if (len <= 0 || len > SLP_MAX) throw new IOException("bad packet length " + len);
        return in.readNBytes(len);
    }

    private static int readVarint(InputStream in) throws IOException {
        int result = 0;
        for (int i = 0; i < 5; i++) {
            int b = in.read();
            if (b < 0) throw new IOException("end of stream");
            result |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw new IOException("varint too long");
    }

    private static void writeVarint(OutputStream out, int value) throws IOException {
        int v = value;
        do {
            int b = v & 0x7f;
            v >>>= 7;
            if (v != 0) b |= 0x80;
            out.write(b);
        } while (v != 0);
    }

    private static void writePacket(OutputStream out, int id, byte[] payload) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeVarint(body, id);
        body.write(payload);
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        writeVarint(framed, body.size());
        body.writeTo(framed);
        out.write(framed.toByteArray());
        out.flush();
    }

    /** A bounded reader over one packet: reading past its end throws, never blocks. */
    private static final class Buf {
        private final byte[] data;
        private int pos;

        Buf(byte[] data) {
            this.data = data;
        }

        int varint() throws IOException {
            int result = 0;
            for (int i = 0; i < 5; i++) {
                if (pos >= data.length) throw new IOException("truncated packet");
                int b = data[pos++] & 0xff;
                result |= (b & 0x7f) << (7 * i);
                if ((b & 0x80) == 0) return result;
            }
            throw new IOException("varint too long");
        }

        void skip(int n) throws IOException {
            if (n < 0 || pos + n > data.length) throw new IOException("truncated packet");
            pos += n;
        }

        byte[] rest() {
            byte[] r = new byte[data.length - pos];
            System.arraycopy(data, pos, r, 0, r.length);
            return r;
        }
    }

    // ---- RCON (Source RCON framing, as vanilla's RconClient): int32le length, id, type, body, two NULs.

    private static void serveRcon(Socket s) throws IOException {
        s.setSoTimeout(0); // RCON clients may idle, as vanilla lets them
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        boolean authed = false;
        while (true) {
            byte[] head = in.readNBytes(4);
            if (head.length < 4) return;
            int len = le32(head, 0);
            if (len < 10 || len > RCON_MAX) return;
            byte[] rest = in.readNBytes(len);
            if (rest.length < len) return;
            int id = le32(rest, 0);
            int type = le32(rest, 4);
            String body = new String(rest, 8, len - 10, StandardCharsets.UTF_8);
            if (type == 3) {
                if (body.equals(rconPassword)) {
                    authed = true;
                    rconReply(out, id, 2, "");
                } else {
                    rconReply(out, -1, 2, "");
                    return;
                }
            } else if (type == 2 && authed) {
                String command = body.startsWith("/") ? body.substring(1) : body;
                rconReply(out, id, 0, command(command));
                if (command.equals("stop")) System.exit(0); // the shutdown hook saves the world
            } else {
                return;
            }
        }
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void rconReply(OutputStream out, int id, int type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        int[] ints = {10 + b.length, id, type};
        for (int v : ints) {
            p.write(v & 0xff);
            p.write(v >>> 8 & 0xff);
            p.write(v >>> 16 & 0xff);
            p.write(v >>> 24 & 0xff);
        }
        p.write(b);
        p.write(0);
        p.write(0);
        out.write(p.toByteArray());
        out.flush();
    }

    /** One command's reply, as vanilla answers it over RCON (its messages joined, no newlines). */
    private static String command(String line) throws IOException {
        String[] parts = line.split(" ", 2);
        String cmd = parts[0];
        String rest = parts.length > 1 ? parts[1] : "";
        switch (cmd) {
            case "list":
                return "There are 0 of a max of " + maxPlayers + " players online: ";
            case "say":
                if (rest.isEmpty()) break;
                log("Server thread", "INFO", "[Rcon] " + rest);
                return "";
            case "save-all":
                log("Server thread", "INFO", "Saving the game (this may take a moment!)");
                saveWorld();
                log("Server thread", "INFO", "Saved the game");
                return "Saving the game (this may take a moment!)Saved the game";
            case "save-off":
                if (!autosave) return "Saving is already turned off";
                autosave = false;
                log("Server thread", "INFO", "Automatic saving is now disabled");
                return "Automatic saving is now disabled";
            case "save-on":
                if (autosave) return "Saving is already turned on";
                autosave = true;
                log("Server thread", "INFO", "Automatic saving is now enabled");
                return "Automatic saving is now enabled";
            case "stop":
                log("Server thread", "INFO", "Stopping the server");
                return "Stopping the server";
            default:
                break;
        }
        return "Unknown or incomplete command, see below for error" + line + "<--[HERE]";
    }

    // ---- The world: level.dat as vanilla writes it (gzipped NBT, level.dat_new renamed over level.dat).

    private static void saveWorld() throws IOException {
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
