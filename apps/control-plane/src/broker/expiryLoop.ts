import { expireLeases, expirePreviousAgentTokens, type Db } from "@zlh/db";
import type { Logger } from "pino";
import { converge } from "../lifecycle/converge";
import { onOperationFailed } from "./effects";
import type { Metrics } from "../metrics/metrics";

/**
 * Sweeps expired leases, and rotated agent tokens whose grace ended, every `periodMs`. Every control-plane process runs
 * one; SKIP LOCKED lets them share the work without double-handling an
 * operation. An operation out of attempts fails its server with the reason.
 */
export function startExpiryLoop(db: Db, periodMs: number, log: Logger, metrics?: Metrics): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const sweep = async () => {
    try {
      await db.transaction(async (tx) => {
        const expired = await expireLeases(tx);
        for (const op of expired) {
          log.warn({ opId: op.id, serverId: op.server_id, attempt: op.attempt, status: op.status }, "lease expired");
          metrics?.leaseExpiries.inc({ outcome: op.status });
          if (op.status === "failed") await onOperationFailed(tx, op);
          // A requeued operation may belong to an intent that has since changed.
          await converge(tx, op.server_id);
        }
      });
      // Rotated agent tokens whose grace ended: refused from now on, their sessions closed.
      for (const hostId of await expirePreviousAgentTokens(db)) log.info({ hostId }, "previous agent token expired");
    } catch (err) {
      log.error({ err }, "lease expiry sweep failed");
    }
  };
  const timer = setInterval(() => {
    if (!running) running = sweep().finally(() => (running = null));
  }, periodMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
