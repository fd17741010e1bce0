import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";

/** Rows one delete statement removes at most: each batch is its own short transaction, never one long lock. */
const RETENTION_BATCH = 5000;

/** Batches per table per sweep, at most: a backlog (a first run on a years-old database) is worked through a run at a time. */
const MAX_BATCHES = 200;

type Prune = (db: Db, retentionMs: number, batch?: number) => Promise<number>;

/** Deletes batch after batch (each its own statement and transaction) until a batch comes back short. */
export async function pruneAll(db: Db, prune: Prune, retentionMs: number, batch = RETENTION_BATCH, maxBatches = MAX_BATCHES): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await prune(db, retentionMs, batch);
    total += n;
    if (n < batch) break;
  }
  return total;
}

const cutoff = (retentionMs: number) => sql`now() - make_interval(secs => ${retentionMs / 1000})`;

async function deleted(db: Db, statement: SQL): Promise<number> {
  const rows = await db.execute(statement);
  return rows.length;
}

/** Deletes the rows `doomed` selects (locked, so a concurrent sweep passes over them) from `table`, matched by `match`. */
const deleteDoomedStatement = (doomed: SQL, table: SQL, match: SQL) => sql`with doomed as (${doomed}) delete from ${table} using doomed where ${match} returning 1`;
const deleteDoomed = (db: Db, doomed: SQL, table: SQL, match: SQL) => deleted(db, deleteDoomedStatement(doomed, table, match));

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

/*
 * Readers of finished operations, which a prune must not pull from under:
 * - wasProvisioned (servers.ts): a succeeded provision of the server, ever;
 *   without it a failed server is provisioned again instead of started.
 * - markerOwners' last_reap_status (reconcileInputs.ts): a deleted server's
 *   newest destroy; without it an orphan left to an operator after a failed
 *   reap is destroyed automatically.
 * - insertTaskOperation (taskOperations.ts): the server's lowest task
 *   generation, the next task numbered below it.
 * - the planner (operations.ts): one per (server, generation, kind) of the
 *   current generation.
 * - findKeyedTask (backups.ts): a backup or restore by its Idempotency-Key,
 *   remembered as long as its operation is (at least the retention).
 * - queueBackupRemoval (backupRemoval.ts): a failed backup_delete of the
 *   last 5 minutes; taskOperationId (schedules.ts): a task queued in the
 *   same transaction; both far inside any retention.
 */

/** Whether operation `n` is a newer one than `o` of the same kind: lifecycle generations count up, task generations down. */
const newer = sql`n.server_id = o.server_id and n.kind = o.kind
  and case when o.generation >= 0 then n.generation > o.generation else n.generation < o.generation end`;

/**
 * One batch of finished operations last changed before the retention that
 * nothing reads any more (see the readers above). Kept: the operations of a
 * live server's current generation; a live server's newest of each kind
 * (its lowest task generation among them) and its newest succeeded
 * provision; a deleted server's newest destroy. So a server keeps a few
 * rows for ever, however old, and the rest go. Rows another sweep holds are
 * passed over.
 */
export function pruneOperations(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  const doomed = sql`
    select o.id from operations o join servers s on s.id = o.server_id
    where o.status in ('succeeded', 'failed', 'cancelled') and o.updated_at < ${cutoff(retentionMs)}
      and not (o.generation = s.generation and s.status <> 'deleted')
      and ((s.status = 'deleted' and o.kind <> 'destroy') or exists (select 1 from operations n where ${newer}))
      and not (o.kind = 'provision' and o.status = 'succeeded' and s.status <> 'deleted'
        and not exists (select 1 from operations n where ${newer} and n.status = 'succeeded'))
    order by o.updated_at limit ${batch} for update of o skip locked`;
  return deleteDoomed(db, doomed, sql`operations x`, sql`x.id = doomed.id`);
}

/**
 * One batch of ended schedule runs that ended before the retention. A run
 * still `started` stays; a deleted claim cannot be claimed again, since a
 * schedule's next slot is always after its newest claimed one
 * (schedules_next_after_last).
 */
export function pruneScheduleRuns(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  const doomed = sql`
    select schedule_id, slot from schedule_runs
    where status <> 'started' and finished_at < ${cutoff(retentionMs)}
    order by finished_at limit ${batch} for update skip locked`;
  return deleteDoomed(db, doomed, sql`schedule_runs x`, sql`x.schedule_id = doomed.schedule_id and x.slot = doomed.slot`);
}

/**
 * One batch of drift items resolved before the retention (the events'
 * retention: the drift.detected and drift.resolved events that tell an
 * item's story go with it). An open item always stays, however old: it is
 * what the next reconcile pass judges. Nothing reads a resolved item but
 * history, and a crash loop opens one a crash, each with its evidence.
 */
export function pruneResolvedDrift(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  return deleted(db, pruneResolvedDriftStatement(retentionMs, batch));
}

/** pruneResolvedDrift's statement, walked in drift_items_resolved_idx's order (its plan is tested). */
export function pruneResolvedDriftStatement(retentionMs: number, batch = RETENTION_BATCH): SQL {
  const doomed = sql`
    select id from drift_items
    where resolved_at is not null and resolved_at < ${cutoff(retentionMs)}
    order by resolved_at limit ${batch} for update skip locked`;
  return deleteDoomedStatement(doomed, sql`drift_items x`, sql`x.id = doomed.id`);
}

/** One batch of keyed answers (keyed_answers) older than the retention: a retry comes within minutes, not days. */
export function pruneKeyedAnswers(db: Db, retentionMs: number, batch = RETENTION_BATCH): Promise<number> {
  const doomed = sql`
    select client_name, idempotency_key from keyed_answers where created_at < ${cutoff(retentionMs)}
    order by created_at limit ${batch} for update skip locked`;
  return deleteDoomed(db, doomed, sql`keyed_answers x`, sql`x.client_name = doomed.client_name and x.idempotency_key = doomed.idempotency_key`);
}
