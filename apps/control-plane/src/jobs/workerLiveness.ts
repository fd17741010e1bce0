import { EventEmitter } from "node:events";
import type { WorkerEvents } from "graphile-worker";
import type { Logger } from "pino";
import { forgetWorkers, recordWorkersAlive, unlockJobsOfDeadWorkers, type Db } from "@zlh/db";

/**
 * Keeps this process's graphile-worker workers marked alive every TTL/3 and,
 * on the same tick, frees the jobs of workers nobody has seen for a lease TTL
 * (a control plane killed in the middle of a job), so they run again within
 * two TTLs. Every control-plane process runs one; they may unlock the same
 * dead worker twice, which is harmless.
 */
export function startWorkerLiveness(db: Db, leaseTtlMs: number, log: Logger): { events: WorkerEvents; stop(): Promise<void> } {
  const ids = new Set<string>();
  // Given to run() as its event emitter: its workers are created before run() returns.
  const events = new EventEmitter() as WorkerEvents;
  events.on("worker:create", ({ worker }) => {
    ids.add(worker.workerId);
  });
  let running: Promise<void> | null = null;
  const tick = async () => {
    try {
      await recordWorkersAlive(db, [...ids]);
      const dead = await unlockJobsOfDeadWorkers(db, leaseTtlMs);
      if (dead.length > 0) log.warn({ workers: dead }, "unlocked the jobs of control-plane workers no longer alive");
    } catch (err) {
      log.error({ err: (err as Error).message }, "worker liveness tick failed");
    }
  };
  const timer = setInterval(() => {
    if (!running) running = tick().finally(() => (running = null));
  }, Math.max(100, Math.floor(leaseTtlMs / 3)));
  return {
    events,
    async stop() {
      clearInterval(timer);
      await running;
      await forgetWorkers(db, [...ids]).catch(() => {});
    },
  };
}
