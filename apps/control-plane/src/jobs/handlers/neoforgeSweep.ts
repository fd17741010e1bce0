import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { addJob, removeUnusedNeoforgeInstalls, type Db } from "@zlh/db";
import { NEOFORGE_SWEEP_JOB } from "../jobNames";

/** How often unused NeoForge installs are looked for: retention is counted in days, so an hour late is nothing. */
export const NEOFORGE_SWEEP_INTERVAL_MS = 3_600_000;

/**
 * `neoforge.sweep`: removes NeoForge installs (and the installer-made files
 * only they listed) that no live server uses, once unused past the
 * retention (removeUnusedNeoforgeInstalls), then schedules its next run.
 * An install is up to ~100 MB of bytea: without this, every build a
 * customer ever picked would be kept for ever.
 */
export function neoforgeSweepTask(deps: { db: Db; log: Logger; retentionMs: number; intervalMs?: number }): Task {
  return async () => {
    try {
      const removed = await removeUnusedNeoforgeInstalls(deps.db, deps.retentionMs);
      if (removed.installs + removed.files > 0) deps.log.info(removed, "removed NeoForge installs no live server uses");
    } finally {
      await addJob(deps.db, NEOFORGE_SWEEP_JOB, {}, { jobKey: "neoforge-sweep", runAt: new Date(Date.now() + (deps.intervalMs ?? NEOFORGE_SWEEP_INTERVAL_MS)), maxAttempts: 3 });
    }
  };
}
