import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/** This process's graphile-worker workers are alive now. */
export async function recordWorkersAlive(db: DbOrTx, workerIds: string[]): Promise<void> {
  if (workerIds.length === 0) return;
  await db.execute(sql`
    insert into control_plane_workers (worker_id, seen_at)
    select unnest(${`{${workerIds.join(",")}}`}::text[]), now()
    on conflict (worker_id) do update set seen_at = now()`);
}

/** This process is stopping: its workers are gone (their jobs were released by graphile-worker's own shutdown). */
export async function forgetWorkers(db: DbOrTx, workerIds: string[]): Promise<void> {
  if (workerIds.length === 0) return;
  await db.execute(sql`delete from control_plane_workers where worker_id = any(${`{${workerIds.join(",")}}`}::text[])`);
}

/**
 * Unlocks the jobs (and job queues) of graphile-worker workers that are not
 * seen alive within `staleMs`, through graphile-worker's own
 * `force_unlock_workers`, so a job held by a killed control plane runs again
 * within about two lease TTLs instead of graphile-worker's fixed 4 hours. A
 * job locked less than `staleMs` ago is never touched (its worker may not
 * have reported in yet). Returns the workers declared dead.
 */
export async function unlockJobsOfDeadWorkers(db: DbOrTx, staleMs: number): Promise<string[]> {
  const rows = await db.execute<{ locked_by: string }>(sql`
    select distinct j.locked_by from graphile_worker._private_jobs j
    where j.locked_by is not null and j.locked_at < now() - ${staleMs} * interval '1 millisecond'
      and not exists (
        select 1 from control_plane_workers w
        where w.worker_id = j.locked_by and w.seen_at > now() - ${staleMs} * interval '1 millisecond')`);
  const dead = rows.map((r) => r.locked_by);
  if (dead.length > 0) await db.execute(sql`select graphile_worker.force_unlock_workers(${`{${dead.join(",")}}`}::text[])`);
  await db.execute(sql`delete from control_plane_workers where seen_at < now() - interval '1 day'`);
  return dead;
}
