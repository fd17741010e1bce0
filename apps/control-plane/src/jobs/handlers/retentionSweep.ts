import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { addJob, pruneAll, pruneEvents, pruneOperations, pruneKeyedAnswers, pruneResolvedDrift, pruneScheduleRuns, type Db } from "@zlh/db";
import { RETENTION_SWEEP_JOB } from "../jobNames";

/** How often the sweep runs: retention is counted in days, so an hour late is nothing. */
const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;
export const RETENTION_SWEEP_KEY = "retention-sweep";

export interface RetentionMs {
  eventsMs: number;
  operationsMs: number;
  scheduleRunsMs: number;
}

/**
 * `retention.sweep`: deletes events, finished operations and ended schedule
 * runs older than their retention (ZLH_EVENT_RETENTION_DAYS,
 * ZLH_OPERATION_RETENTION_DAYS, ZLH_SCHEDULE_RUN_RETENTION_DAYS), in bounded
 * batches (an operation something still reads stays; see pruneOperations),
 * then schedules its next run. Without it, a crash loop's evidence
 * or a schedule every minute grows the database for ever.
 */
export function retentionSweepTask(deps: { db: Db; log: Logger; retention: RetentionMs; intervalMs?: number }): Task {
  return async () => {
    try {
      const removed = {
        events: await pruneAll(deps.db, pruneEvents, deps.retention.eventsMs),
        // Resolved drift items go with the events that tell their story: the events' retention.
        driftItems: await pruneAll(deps.db, pruneResolvedDrift, deps.retention.eventsMs),
        operations: await pruneAll(deps.db, pruneOperations, deps.retention.operationsMs),
        // A keyed answer is remembered as long as a keyed backup's operation is.
        keyedAnswers: await pruneAll(deps.db, pruneKeyedAnswers, deps.retention.operationsMs),
        scheduleRuns: await pruneAll(deps.db, pruneScheduleRuns, deps.retention.scheduleRunsMs),
      };
      if (Object.values(removed).some((n) => n > 0)) deps.log.info(removed, "deleted rows past their retention");
    } finally {
      await addJob(deps.db, RETENTION_SWEEP_JOB, {}, { jobKey: RETENTION_SWEEP_KEY, runAt: new Date(Date.now() + (deps.intervalMs ?? RETENTION_SWEEP_INTERVAL_MS)), maxAttempts: 3 });
    }
  };
}
