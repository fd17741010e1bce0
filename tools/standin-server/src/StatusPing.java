import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The handshake, then the Minecraft Server List Ping as the vanilla server
 * answers it, with the players online (Players.java); a handshake asking for
 * login goes to Login.java. Every packet bounded, the client is hostile.
 */
final class StatusPing {
    /** A status client sends a few dozen bytes; anything larger is not a Minecraft client. */
    private static final int SLP_MAX = 32 * 1024;

    private StatusPing() {}

    // ---- Server List Ping: handshake (next state 1), status request, ping.

    static void serve(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        byte[] handshake = readPacket(in);
        Buf h = new Buf(handshake);
        if (h.varint() != 0) return;
        int protocol = h.varint();
        h.skip(h.varint()); // server address
        h.skip(2); // port
        int next = h.varint();
        if (next == 2) {
            Login.serve(s, protocol);
            return;
        }
        if (next != 1) return; // a transfer (3) is not served
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
        return "{\"version\":{\"name\":" + jsonString(StandinServer.gameVersion()) + ",\"protocol\":763},"
                + "\"players\":" + playersJson() + ","
                + "\"description\":{\"text\":" + jsonString(StandinServer.props.getProperty("motd", "A Minecraft Server")) + "},"
                + "\"enforcesSecureChat\":false}";
    }

    /** The players online, and a sample of them (the first who joined, each with the id they play under). */
    private static String playersJson() {
        List<Players.Player> online = Players.online();
        StringBuilder sample = new StringBuilder();
        for (Players.Player p : online.subList(0, Math.min(online.size(), Players.SAMPLE_MAX))) {
            if (sample.length() > 0) sample.append(',');
            sample.append("{\"name\":").append(jsonString(p.name())).append(",\"id\":\"").append(p.id()).append("\"}");
        }
        return "{\"max\":" + StandinServer.maxPlayers + ",\"online\":" + online.size() + ",\"sample\":[" + sample + "]}";
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static byte[] readPacket(InputStream in) throws IOException {
        int len = readVarint(in);
        if (len <= 0 || len > SLP_MAX) throw new IOException("bad packet length " + len);
        return in.readNBytes(len);
    }

    static int readVarint(InputStream in) throws IOException {
        int result = 0;
        for (int i = 0; i < 5; i++) {
            int b = in.read();
            if (b < 0) throw new IOException("end of stream");
            result |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw new IOException("varint too long");
    }

    static void writeVarint(OutputStream out, int value) throws IOException {
        int v = value;
        do {
            int b = v & 0x7f;
            v >>>= 7;
            if (v != 0) b |= 0x80;
            out.write(b);
        } while (v != 0);
    }

    static void writeString(OutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        writeVarint(out, b.length);
        out.write(b);
    }

    static void writePacket(OutputStream out, int id, byte[] payload) throws IOException {
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
    static final class Buf {
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

        /** A string of at most `maxChars` characters (its UTF-8 length bounded as vanilla's readUtf bounds it). */
        String string(int maxChars) throws IOException {
            int len = varint();
            if (len < 0 || len > maxChars * 4) throw new IOException("string of " + len + " bytes");
            skip(len);
            String s = new String(data, pos - len, len, StandardCharsets.UTF_8);
            if (s.length() > maxChars) throw new IOException("string of " + s.length() + " characters");
            return s;
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
}
