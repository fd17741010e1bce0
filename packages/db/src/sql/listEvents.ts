import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { inTransaction } from "./inTransaction";

export type FeedEventRow = {
  /** The event's feed position (the cursor), as text. */
  position: string;
  server_id: string | null;
  host_id: string | null;
  operation_id: string | null;
  type: string;
  data: Record<string, unknown>;
  at: string;
  actor: string | null;
};

export interface EventPage {
  rows: FeedEventRow[];
  more: boolean;
  /** False when `after` is past the feed's end (a cursor this API never gave). */
  cursorKnown: boolean;
  /** True when events right after `after` were deleted by retention (pruneEvents): reading on would skip them. */
  cursorExpired: boolean;
}

const SEQUENCER_LOCK = sql`hashtextextended('zlh:event_sequencer', 0)`;

/**
 * The one sequencing step of the feed: numbers the events not numbered yet
 * whose transactions are older than every running one that could still
 * write one (feedHorizon), in (xid, id) order, after the largest position
 * already given. One step at a time (a transaction-scoped advisory lock; a
 * reader that finds it taken skips, since the holder numbers the same
 * events), and the numbering runs in its own statement after the lock, so
 * its snapshot sees the previous step's positions. A batch commits at once,
 * and the next batch starts only after it is visible: a reader sees
 * positions 1..n with no hole, and nothing is ever numbered below a position
 * already given, however late its transaction commits.
 */
export async function sequenceEvents(db: Db, batch = 5000): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [lock] = await tx.execute<{ got: boolean }>(sql`select pg_try_advisory_xact_lock(${SEQUENCER_LOCK}) as got`);
    if (!lock!.got) return;
    const horizon = await feedHorizon(tx);
    await tx.execute(sql`
      with next as (
        select id, row_number() over (order by xid, id) as n
        from events
        where position is null and xid < ${horizon}::xid8
        order by xid, id
        limit ${batch}
      )
      update events e set position = (select coalesce(max(position), 0) from events) + next.n
      from next where e.id = next.id`);
  });
}

/**
 * The xid below which every transaction that could write an event has
 * ended: the oldest running transaction of this database (or prepared one),
 * else the snapshot's xmax. Transaction ids are the cluster's, so the
 * snapshot's own xmin would also wait on every other database's writers: a
 * long transaction elsewhere on the cluster (another application's, another
 * test file's) held the whole feed back while it ran, though it can write
 * no event here. The snapshot is taken before pg_stat_activity is first
 * read in this transaction (which then keeps what it read), so every
 * running xid of the snapshot belonging to this database is there to be
 * matched (by its low 32 bits: running xids are within 2^31 of each other).
 * Where a session of this database is one our role may not look into (its
 * xid hidden), the cluster-wide xmin is used, as before.
 */
async function feedHorizon(tx: DbOrTx): Promise<string> {
  const [snap] = await tx.execute<{ snapshot: string }>(sql`select pg_current_snapshot()::text as snapshot`);
  const [row] = await tx.execute<{ horizon: string }>(sql`
    with s as (select ${snap!.snapshot}::pg_snapshot as s),
    here as (
      select backend_xid::text::bigint as x from pg_stat_activity where datname = current_database() and backend_xid is not null
      union all
      select transaction::text::bigint from pg_prepared_xacts where database = current_database()
    )
    select (case
      when exists (select 1 from pg_stat_activity where datname = current_database() and query = '<insufficient privilege>')
        then pg_snapshot_xmin(s.s)
      else coalesce(
        (select min(x) from pg_snapshot_xip(s.s) x where (x::text::numeric % 4294967296)::bigint in (select x from here)),
        pg_snapshot_xmax(s.s))
    end)::text as horizon
    from s`);
  return row!.horizon;
}

/**
 * The feed after position `after` (null: from the start), in position order;
 * optionally one server's events only. Numbers what can be numbered first
 * (sequenceEvents), so a reader sees every event whose transaction ended.
 */
export async function listEvents(db: Db, opts: { after: string | null; limit: number; serverId?: string }): Promise<EventPage> {
  await sequenceEvents(db);
  const serverId = opts.serverId ?? null;
  const after = opts.after ?? "0";
  const rows = await db.execute<FeedEventRow>(sql`
    select e.position::text as position, e.server_id, e.host_id, e.operation_id, e.type, e.data, e.at, e.actor
    from events e
    where e.position > ${after}::bigint
      and (${serverId}::uuid is null or e.server_id = ${serverId}::uuid)
    order by e.position
    limit ${opts.limit + 1}`);
  const cursorKnown = rows.length > 0 || BigInt(after) <= BigInt(await feedHead(db));
  return { rows: rows.slice(0, opts.limit), more: rows.length > opts.limit, cursorKnown, cursorExpired: opts.after !== null && (await pruned(db, after)) };
}

/**
 * Positions have no hole but what retention deleted, always the oldest
 * (pruneEvents): events after `after` were lost when the oldest position kept
 * is past the one right after it.
 */
async function pruned(db: DbOrTx, after: string): Promise<boolean> {
  const [row] = await db.execute<{ oldest: string | null }>(sql`select min(position)::text as oldest from events`);
  return row!.oldest !== null && BigInt(row!.oldest) > BigInt(after) + 1n;
}

/** The largest position given so far ("0" on an empty feed): `?from=now` starts after it. */
export async function feedHead(db: DbOrTx): Promise<string> {
  const [row] = await db.execute<{ head: string }>(sql`select coalesce(max(position), 0)::text as head from events`);
  return row!.head;
}
