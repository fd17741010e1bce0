import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { addJob, removeUnusedModpacks, type Db } from "@zlh/db";
import { MODPACK_SWEEP_JOB } from "../jobNames";

/** How often unused packs are looked for: retention is counted in days, so an hour late is nothing. */
export const MODPACK_SWEEP_INTERVAL_MS = 3_600_000;

/**
 * `modpacks.sweep`: removes uploaded packs (and their read contents) that no
 * live server needs, once past the retention (removeUnusedModpacks), then
 * schedules its next run. A pack is megabytes in the database: without this,
 * every upload would be kept for ever.
 */
export function modpackSweepTask(deps: { db: Db; log: Logger; retentionMs: number; intervalMs?: number }): Task {
  return async () => {
    try {
      const removed = await removeUnusedModpacks(deps.db, deps.retentionMs);
      if (removed.owners + removed.uploads + removed.contents > 0) deps.log.info(removed, "removed modpacks no live server uses");
    } finally {
      await addJob(deps.db, MODPACK_SWEEP_JOB, {}, { jobKey: "modpack-sweep", runAt: new Date(Date.now() + (deps.intervalMs ?? MODPACK_SWEEP_INTERVAL_MS)), maxAttempts: 3 });
    }
  };
}
