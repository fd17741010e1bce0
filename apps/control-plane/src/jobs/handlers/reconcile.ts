import type { Task } from "graphile-worker";
import type { Histogram } from "prom-client";
import { addJob } from "@zlh/db";
import { reconcilePass, type PassDeps } from "../../reconcile/pass";
import { RECONCILE_ALL_JOB } from "../jobNames";

export interface ReconcileDeps extends PassDeps {
  intervalMs: number;
  /** Observes each pass's duration, by scope (metrics). */
  passDuration?: Histogram<"scope">;
}

async function timedPass(deps: ReconcileDeps, hostId?: string): Promise<void> {
  const endTimer = deps.passDuration?.startTimer({ scope: hostId ? "host" : "all" });
  try {
    const stats = await reconcilePass(deps, hostId ? { hostId, force: true } : {});
    if (stats.judged > 0) deps.log.debug({ ...stats, hostId }, "reconciliation pass");
  } finally {
    endTimer?.();
  }
}

/**
 * `reconcile.all`: every host whose verdict may be stale (reconcilePass),
 * then schedules its own next run (ZLH_RECONCILE_INTERVAL_MS later, one
 * pending run across all processes thanks to the job key).
 */
export function reconcileAllTask(deps: ReconcileDeps): Task {
  return async () => {
    try {
      await timedPass(deps);
    } finally {
      await addJob(deps.db, RECONCILE_ALL_JOB, {}, { jobKey: "reconcile", runAt: new Date(Date.now() + deps.intervalMs), maxAttempts: 3 });
    }
  };
}

/** `reconcile.host`: one host, judged whatever its last verdict, on every agent (re)connect. */
export function reconcileHostTask(deps: ReconcileDeps): Task {
  return async (payload) => timedPass(deps, (payload as { hostId: string }).hostId);
}
