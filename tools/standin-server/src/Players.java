import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The players online, as vanilla's PlayerList keeps them: a player is online
 * from the login that let them in until their connection closes, in the
 * order they joined. The status ping and RCON's `list` read it.
 */
final class Players {
    /** The status ping's sample holds at most this many (vanilla's MAX_PLAYERS_IN_STATUS_SAMPLE). */
    static final int SAMPLE_MAX = 12;

    record Player(String name, UUID id, Socket socket) {}

    private static final Map<UUID, Player> ONLINE = new LinkedHashMap<>();

    private Players() {}

    /** An offline-mode server's id for a name, as vanilla derives it (UUIDUtil.createOfflinePlayerUUID). */
    static UUID offlineId(String name) {
        return UUID.nameUUIDFromBytes(("OfflinePlayer:" + name).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Lets `p` in, or answers why not (a translation key, as vanilla's
     * canPlayerLogin): a full server refuses, counting the one the same
     * player already holds; then that one is disconnected, as a login from
     * another location replaces it.
     */
    static synchronized String join(Player p) {
        if (ONLINE.size() >= StandinServer.maxPlayers) return "multiplayer.disconnect.server_full";
        Player previous = ONLINE.remove(p.id());
        if (previous != null) {
            StandinServer.log("Server thread", "INFO", previous.name() + " left the game");
            closeQuietly(previous.socket());
        }
        ONLINE.put(p.id(), p);
        StandinServer.log("Server thread", "INFO", p.name() + " joined the game");
        return null;
    }

    /** `p`'s connection closed: gone, unless a later login of the same player replaced it already. */
    static synchronized void leave(Player p) {
        if (ONLINE.get(p.id()) != p) return;
        ONLINE.remove(p.id());
        StandinServer.log("Server thread", "INFO", p.name() + " left the game");
    }

    /** The players online, in the order they joined. */
    static synchronized List<Player> online() {
        return new ArrayList<>(ONLINE.values());
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (java.io.IOException e) {
            // already gone
        }
    }
}
