import { abandonRemovedHostsArchives, queueBackupRemoval, removalsPending, type Db } from "@zlh/db";
import type { Logger } from "pino";

/** Servers looked at per sweep; the rest wait for the next one. */
const SERVERS_PER_SWEEP = 200;

/**
 * One sweep of backup archives still to remove: those on removed hosts are
 * abandoned (reported), the others' removal is queued on each server that
 * has none queued (a busy server is tried again at the next sweep). Every
 * control-plane process may sweep: the server's lock and the one-task index
 * keep two from queueing the same removal.
 */
export async function sweepBackupRemovals(db: Db, log: Logger): Promise<number> {
  const abandoned = await abandonRemovedHostsArchives(db);
  if (abandoned > 0) log.warn({ abandoned }, "backup archives left on removed hosts");
  let queued = 0;
  for (const serverId of await removalsPending(db, SERVERS_PER_SWEEP)) {
    const opId = await queueBackupRemoval(db, serverId);
    if (opId) {
      queued++;
      log.info({ serverId, opId }, "backup archive removal queued");
    }
  }
  return queued;
}

/** Runs the sweep every `periodMs` until stopped. */
export function startBackupRemovalSweep(db: Db, periodMs: number, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweepBackupRemovals(db, log)
      .then(() => undefined)
      .catch((err) => log.error({ err }, "backup removal sweep failed"))
      .finally(() => (running = null));
  }, periodMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
