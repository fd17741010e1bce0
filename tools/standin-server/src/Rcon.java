import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** RCON as the vanilla server runs it (RconThread/RconClient), with vanilla's replies. */
final class Rcon {
    /** Vanilla's RCON request limit (RconClient reads into a 1460-byte buffer). */
    private static final int RCON_MAX = 1460;

    private Rcon() {}

    // ---- RCON (Source RCON framing, as vanilla's RconClient): int32le length, id, type, body, two NULs.

    static void serve(Socket s) throws IOException {
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
                if (body.equals(StandinServer.rconPassword)) {
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
                java.util.List<Players.Player> online = Players.online();
                String names = String.join(", ", online.stream().map(Players.Player::name).toList());
                return "There are " + online.size() + " of a max of " + StandinServer.maxPlayers + " players online: " + names;
            case "say":
                if (rest.isEmpty()) break;
                StandinServer.log("Server thread", "INFO", "[Rcon] " + rest);
                return "";
            case "save-all":
                StandinServer.log("Server thread", "INFO", "Saving the game (this may take a moment!)");
                StandinServer.saveWorld();
                StandinServer.log("Server thread", "INFO", "Saved the game");
                return "Saving the game (this may take a moment!)Saved the game";
            case "save-off":
                if (!StandinServer.autosave) return "Saving is already turned off";
                StandinServer.autosave = false;
                StandinServer.log("Server thread", "INFO", "Automatic saving is now disabled");
                return "Automatic saving is now disabled";
            case "save-on":
                if (StandinServer.autosave) return "Saving is already turned on";
                StandinServer.autosave = true;
                StandinServer.log("Server thread", "INFO", "Automatic saving is now enabled");
                return "Automatic saving is now enabled";
            case "stop":
                StandinServer.log("Server thread", "INFO", "Stopping the server");
                return "Stopping the server";
            default:
                break;
        }
        return "Unknown or incomplete command, see below for error" + line + "<--[HERE]";
    }
}
