import { SESSION_CHANNEL, WORK_CHANNEL } from "@zlh/db";
import type postgres from "postgres";
import type { SessionRegistry } from "./sessionRegistry";

/**
 * Wake-ups between control-plane processes travel by LISTEN/NOTIFY: work for
 * a host (an operation was queued or requeued) and a host's new session.
 * Leasing and results go through the database itself, so a lost
 * notification only delays work until the agent's next periodic lease request.
 */
export async function listenForNotifications(sql: postgres.Sql, registry: SessionRegistry): Promise<{ stop(): Promise<void> }> {
  const work = await sql.listen(WORK_CHANNEL, (hostId) => registry.workAvailable(hostId));
  const sessions = await sql.listen(SESSION_CHANNEL, (payload) => {
    const [hostId, sessionId, tokenHash] = payload.split(":");
    if (hostId && sessionId === "token_expired" && tokenHash) registry.tokenExpired(hostId, tokenHash);
    else if (hostId && sessionId) registry.sessionStarted(hostId, sessionId);
  });
  return {
    async stop() {
      await work.unlisten();
      await sessions.unlisten();
    },
  };
}
