import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export type FeedEventRow = {
  id: string;
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
  /** False when `after` names no event (a cursor this API never gave). */
  cursorKnown: boolean;
}

/**
 * Where the event feed is read, gapless: only events whose transaction is
 * older than every transaction still running (so none can still appear
 * before them), in (xid, id) order, after the event `after` (its id is the
 * cursor, and an SSE stream's Last-Event-ID). One statement; optionally one
 * server's events only.
 */
export async function listEvents(db: DbOrTx, opts: { after: string | null; limit: number; serverId?: string }): Promise<EventPage> {
  const serverId = opts.serverId ?? null;
  const rows = await db.execute<FeedEventRow & { cursor_known: boolean }>(sql`
    with cursor as (select xid, id from events where id = ${opts.after}::bigint)
    select e.id::text as id, e.server_id, e.host_id, e.operation_id, e.type, e.data, e.at, e.actor,
      (${opts.after}::bigint is null or exists (select 1 from cursor)) as cursor_known
    from events e
    where e.xid < pg_snapshot_xmin(pg_current_snapshot())
      and (${opts.after}::bigint is null or (e.xid, e.id) > (select xid, id from cursor))
      and (${serverId}::uuid is null or e.server_id = ${serverId}::uuid)
    order by e.xid, e.id
    limit ${opts.limit + 1}`);
  const cursorKnown = rows.length > 0 ? rows[0]!.cursor_known : await eventExists(db, opts.after);
  const page = rows.slice(0, opts.limit).map(({ cursor_known: _, ...row }) => row);
  return { rows: page, more: rows.length > opts.limit, cursorKnown };
}

/**
 * One server's audit trail, by id: everything committed so far, nothing held
 * back (a history to read, not a feed to follow: to follow one server, read
 * the feed with its serverId).
 */
export async function listServerHistory(db: DbOrTx, serverId: string, after: string | null, limit: number): Promise<EventPage> {
  const rows = await db.execute<FeedEventRow>(sql`
    select e.id::text as id, e.server_id, e.host_id, e.operation_id, e.type, e.data, e.at, e.actor
    from events e
    where e.server_id = ${serverId}::uuid and (${after}::bigint is null or e.id > ${after}::bigint)
    -- e.id, the bigint: a bare "id" would be the text output column, where "10" < "9".
    order by e.id
    limit ${limit + 1}`);
  const cursorKnown = after === null || (await eventExists(db, after));
  return { rows: rows.slice(0, limit), more: rows.length > limit, cursorKnown };
}

async function eventExists(db: DbOrTx, id: string | null): Promise<boolean> {
  if (id === null) return true;
  const [row] = await db.execute<{ yes: boolean }>(sql`select exists (select 1 from events where id = ${id}::bigint) as yes`);
  return row!.yes;
}
