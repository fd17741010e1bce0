import { sweepLogReads, type Db } from "@zlh/db";
import type { Logger } from "pino";

const BATCH = 5000;
/** Batches per pass: a backlog (rows kept by versions before streams reused their row) goes over a few passes. */
const MAX_BATCHES = 20;

/**
 * Removes `logs` rows no stream or read waits for any more (logStreams.ts
 * sweepLogReads): those of a control plane that died with a stream open, and
 * those ended while an agent held them. Every control-plane process runs
 * one, at start and every `periodMs`; SKIP LOCKED lets them share the work.
 */
export function startLogReadSweep(db: Db, staleAfterMs: number, periodMs: number, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const sweep = async () => {
    try {
      let removed = 0;
      for (let i = 0; i < MAX_BATCHES && !stopped; i++) {
        const n = await sweepLogReads(db, staleAfterMs, BATCH);
        removed += n;
        if (n < BATCH) break;
      }
      if (removed > 0) log.info({ removed }, "log reads left behind removed");
    } catch (err) {
      log.error({ err }, "log read sweep failed");
    }
  };
  const tick = () => {
    if (!running) running = sweep().finally(() => (running = null));
  };
  tick();
  const timer = setInterval(tick, periodMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
