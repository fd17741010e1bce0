import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.zip.Deflater;

/**
 * The login state of the protocol (a handshake's next state 2) as an
 * offline-mode vanilla server answers it: Login Start names the player,
 * Set Compression comes first when network-compression-threshold is not
 * negative, then Login Success (the name's offline id, the name, no
 * properties) in the client's protocol's layout, and the player is online
 * until the connection closes. An online-mode server (vanilla's default)
 * would ask Mojang's session server, which the stand-in has none of: it
 * refuses the login as vanilla does when that check fails. What a player
 * sends after login is read, bounded, and ignored: there is no world to
 * configure or play in, and no keep-alive is asked of a player.
 */
final class Login {
    /** The largest packet vanilla accepts from a client (2^21 - 1 bytes). */
    private static final int PACKET_MAX = (1 << 21) - 1;

    private Login() {}

    static void serve(Socket s, int protocol) throws IOException {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        StatusPing.Buf start = new StatusPing.Buf(StatusPing.readPacket(in));
        if (start.varint() != 0) return;
        String name = start.string(16);
        if (!validName(name)) return; // vanilla fails the login on "Invalid characters in username"
        if (!"false".equals(StandinServer.props.getProperty("online-mode", "true").trim())) {
            disconnect(out, "{\"translate\":\"multiplayer.disconnect.unverified_username\"}", -1);
            return;
        }
        Players.Player player = new Players.Player(name, Players.offlineId(name), s);
        String refused = Players.join(player);
        if (refused != null) {
            // Refused before compression is set up, as vanilla's handleAcceptedLogin refuses.
            disconnect(out, "{\"translate\":" + StatusPing.jsonString(refused) + "}", -1);
            return;
        }
        int threshold = compressionThreshold();
        try {
            if (threshold >= 0) {
                ByteArrayOutputStream t = new ByteArrayOutputStream();
                StatusPing.writeVarint(t, threshold);
                StatusPing.writePacket(out, 3, t.toByteArray());
            }
            writeLoginPacket(out, 2, loginSuccess(player, protocol), threshold);
            s.setSoTimeout(0);
            while (true) skipPacket(in);
        } finally {
            Players.leave(player);
        }
    }

    /** Vanilla's StringUtil.isValidPlayerName: at most 16 characters, none a space, a control character or beyond ASCII. */
    private static boolean validName(String name) {
        return !name.isEmpty() && name.length() <= 16 && name.chars().allMatch(c -> c > 32 && c < 127);
    }

    private static int compressionThreshold() {
        try {
            return Integer.parseInt(StandinServer.props.getProperty("network-compression-threshold", "256").trim());
        } catch (NumberFormatException e) {
            return 256;
        }
    }

    /** Login Success: 1.19 (759) added the properties, 1.20.5 (766) the strict-error-handling flag, 1.21.2 (768) took it away. */
    private static byte[] loginSuccess(Players.Player player, int protocol) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        UUID id = player.id();
        b.write(ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array());
        StatusPing.writeString(b, player.name());
        if (protocol >= 759) StatusPing.writeVarint(b, 0);
        if (protocol >= 766 && protocol <= 767) b.write(0);
        return b.toByteArray();
    }

    private static void disconnect(OutputStream out, String reason, int threshold) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        StatusPing.writeString(b, reason);
        writeLoginPacket(out, 0, b.toByteArray(), threshold);
    }

    /** A packet framed as the connection's compression says: none below 0; else a data length, 0 (and uncompressed) below the threshold. */
    private static void writeLoginPacket(OutputStream out, int id, byte[] payload, int threshold) throws IOException {
        if (threshold < 0) {
            StatusPing.writePacket(out, id, payload);
            return;
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        StatusPing.writeVarint(data, id);
        data.write(payload);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (data.size() < threshold) {
            StatusPing.writeVarint(body, 0);
            data.writeTo(body);
        } else {
            StatusPing.writeVarint(body, data.size());
            Deflater z = new Deflater();
            z.setInput(data.toByteArray());
            z.finish();
            byte[] chunk = new byte[4096];
            while (!z.finished()) body.write(chunk, 0, z.deflate(chunk));
            z.end();
        }
        ByteArrayOutputStream framed = new ByteArrayOutputStream();
        StatusPing.writeVarint(framed, body.size());
        body.writeTo(framed);
        out.write(framed.toByteArray());
        out.flush();
    }

    /** One packet from a player read past (its length bounded as vanilla bounds it); throws at the end of the stream. */
    private static void skipPacket(InputStream in) throws IOException {
        int len = StatusPing.readVarint(in);
        if (len <= 0 || len > PACKET_MAX) throw new IOException("bad packet length " + len);
        in.skipNBytes(len);
    }
}
