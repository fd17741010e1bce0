import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { HostRow } from "../rows";
import { inTransaction } from "./inTransaction";
import { SESSION_CHANNEL } from "./sessions";

export type HostWithCounts = HostRow & { servers: number; running: number; addresses: number };

/** created_at as Postgres prints it, to the microsecond: a host page's keyset. */
type Keyed = { created_key: string };

/**
 * Live hosts with how many servers each holds (not deleted) and how many of
 * those run, in enrolment order; a page of them after the host `after` (a
 * keyset on (created_at, id)) when `limit` is given.
 */
export async function listHostsWithCounts(db: DbOrTx, page?: { after?: { createdAt: string; id: string }; limit: number }): Promise<(HostWithCounts & Keyed)[]> {
  const afterAt = page?.after?.createdAt ?? null;
  const afterId = page?.after?.id ?? null;
  return db.execute<HostWithCounts & Keyed>(sql`
    select h.*, h.created_at::text as created_key, coalesce(c.servers, 0)::int as servers, coalesce(c.running, 0)::int as running,
      (select count(*)::int from host_addresses ha where ha.host_id = h.id) as addresses
    from hosts h
    left join (
      select host_id, count(*) as servers, count(*) filter (where status = 'running') as running
      from servers where status <> 'deleted' group by host_id
    ) c on c.host_id = h.id
    where h.revoked_at is null
      and (${afterAt}::timestamptz is null or (h.created_at, h.id) > (${afterAt}::timestamptz, ${afterId}::uuid))
    order by h.created_at, h.id
    limit ${page ? page.limit : null}`);
}

/**
 * Cordons a host (no new server is placed on it; what runs there keeps
 * running) or lifts that, with a `host.cordoned` / `host.uncordoned` event
 * when it changed. Returns the host, or null if there is no such live host.
 */
export async function setHostCordon(db: DbOrTx, hostId: string, cordoned: boolean, reason: string): Promise<HostRow | null> {
  const rows = await db.execute<HostRow & { changed: boolean }>(sql`
    with before as (
      select id, cordoned_at is not null as was from hosts where id = ${hostId} and revoked_at is null for update
    ), h as (
      update hosts set cordoned_at = case when ${cordoned}::boolean then coalesce(cordoned_at, now()) end
      from before where hosts.id = before.id
      returning hosts.*, before.was <> ${cordoned}::boolean as changed
    ), event as (
      insert into events (host_id, type, data)
      select id, case when ${cordoned}::boolean then 'host.cordoned' else 'host.uncordoned' end, jsonb_build_object('reason', ${reason}::text)
      from h where changed
    )
    select * from h`);
  const row = rows[0];
  if (!row) return null;
  const { changed: _, ...host } = row;
  return host;
}

/**
 * Removes a host that holds no server: revokes it (its agent token stops
 * working, its session is closed), keeping the row for the audit trail.
 * `refused` when servers (not deleted) are still on it; null when there is
 * no such live host. The host row is locked first, in a statement of its
 * own: a create holds that lock from placing its server until it commits,
 * and the count that follows takes a new snapshot, so it sees the server a
 * create committed while the removal waited (a count in the locking
 * statement would read the snapshot from before the wait).
 */
export async function removeEmptyHost(db: DbOrTx, hostId: string): Promise<{ removed: HostRow } | { refused: number } | null> {
  return inTransaction(db, async (tx) => {
    const target = await tx.execute<{ id: string }>(sql`select id from hosts where id = ${hostId} and revoked_at is null for update`);
    if (target.length === 0) return null;
    const rows = await tx.execute<{ host: HostRow | null; held: number }>(sql`
      with held as (
        select count(*)::int as n from servers s where s.host_id = ${hostId} and s.status <> 'deleted'
      ), removed as (
        update hosts set revoked_at = now(), session_id = null, cordoned_at = coalesce(cordoned_at, now())
        from held where hosts.id = ${hostId} and held.n = 0
        returning hosts.*
      ), event as (
        insert into events (host_id, type, data) select id, 'host.removed', jsonb_build_object('name', name) from removed
      ), notify as (
        select pg_notify(${SESSION_CHANNEL}, id::text || ':revoked') from removed
      )
      select (select to_jsonb(removed) from removed) as host, (select n from held) as held, (select count(*) from notify) as notified`);
    const row = rows[0]!;
    return row.host ? { removed: row.host } : { refused: row.held };
  });
}

/** The servers (not deleted) on a host: what a drain still waits for. */
export async function serversHeldBy(db: DbOrTx, hostId: string): Promise<{ id: string; name: string; status: string; vmid: number }[]> {
  return db.execute(sql`select id, name, status, vmid from servers where host_id = ${hostId} and status <> 'deleted' order by seq`);
}
