import { sql } from "drizzle-orm";
import type { Db } from "../client";

/** Rows one delete statement removes at most: each batch is its own short transaction, never one long lock. */
export const RETENTION_BATCH = 5000;

const cutoff = (retentionMs: number) => sql`now() - make_interval(secs => ${retentionMs / 1000})`;

async function deleted(db: Db, statement: ReturnType<typeof sql>): Promise<number> {
  const rows = await db.execute(statement);
  return rows.length;
}

/**
 * One batch of the oldest events, older than the retention: always a prefix
 * of the feed (walked by position, stopping at the first event still kept),
 * so a cursor before the oldest event kept is known to have lost events
 * (listEvents answers `cursorExpired`), and never the feed's newest event,
 * whose position the next one is numbered after.
 */
export function pruneEvents(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  return deleted(
    db,
    sql`
    with head as (select max(position) as p from events),
    oldest as (select id, position, at from events where position is not null order by position limit ${batch}),
    kept as (select min(position) as p from oldest where at >= ${cutoff(retentionMs)}),
    doomed as (select oldest.id from oldest, head, kept where oldest.position < coalesce(kept.p, head.p))
    delete from events e using doomed where e.id = doomed.id returning 1`,
  );
}

/**
 * One batch of finished operations last changed before the retention, except
 * the operations of a live server's current generation (what its state
 * stands on: the planner keeps one per (server, generation, kind) and must
 * not find it gone). Rows another sweep holds are passed over.
 */
export function pruneOperations(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  return deleted(
    db,
    sql`
    with doomed as (
      select o.id from operations o join servers s on s.id = o.server_id
      where o.status in ('succeeded', 'failed', 'cancelled') and o.updated_at < ${cutoff(retentionMs)}
        and not (o.generation = s.generation and s.status <> 'deleted')
      order by o.updated_at limit ${batch}
      for update of o skip locked
    )
    delete from operations o using doomed where o.id = doomed.id returning 1`,
  );
}

/**
 * One batch of ended schedule runs that ended before the retention. A run
 * still `started` stays; a deleted claim cannot be claimed again, since a
 * schedule's next slot is always after its newest claimed one
 * (schedules_next_after_last).
 */
export function pruneScheduleRuns(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  return deleted(
    db,
    sql`
    with doomed as (
      select schedule_id, slot from schedule_runs
      where status <> 'started' and finished_at < ${cutoff(retentionMs)}
      order by finished_at limit ${batch}
      for update skip locked
    )
    delete from schedule_runs r using doomed where r.schedule_id = doomed.schedule_id and r.slot = doomed.slot returning 1`,
  );
}
