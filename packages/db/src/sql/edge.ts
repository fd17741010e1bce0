import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/** What the edge is derived from, for one server. */
export type EdgeServerRow = {
  id: string;
  vmid: number;
  address: string | null;
  game_port: number;
  status: string;
  desired_state: string;
  edge_dirty_at: string | null;
  edge_hold_until: string | null;
  reachable: { status: boolean; reason: string; message: string; since: string } | null;
  /** The server's own name and its host's node, told to the webhook. */
  name: string;
  host_node: string;
};

const EDGE_COLUMNS = sql.raw(
  "s.id, s.vmid, host(s.address) as address, s.game_port, s.status, s.desired_state, s.edge_dirty_at::text, s.edge_hold_until::text, s.reachable, s.name, (select h.node from hosts h where h.id = s.host_id) as host_node",
);

/** The servers whose desired edge may have changed (marked by the trigger servers_edge_dirty), oldest first. */
export async function listEdgeDirty(db: DbOrTx, limit: number): Promise<EdgeServerRow[]> {
  return db.execute<EdgeServerRow>(sql`select ${EDGE_COLUMNS} from servers s where s.edge_dirty_at is not null order by s.edge_dirty_at limit ${limit}`);
}

/** These servers' edge inputs. */
export async function listEdgeServers(db: DbOrTx, ids: string[]): Promise<EdgeServerRow[]> {
  return db.execute<EdgeServerRow>(sql`select ${EDGE_COLUMNS} from servers s where s.id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`);
}

export interface DesiredPublication {
  serverId: string;
  provider: string;
  fqdn: string;
  /** Null: the provider should hold nothing for the server. */
  desiredHash: string | null;
}

/**
 * Records what each provider should hold: a changed desired hash makes the row due now (and resets its
 * attempts); an unchanged one is left as it is, backoff included. A server that should hold nothing and never
 * had a row gets none. Then clears each server's dirty mark, unless it was marked again since it was read.
 */
export async function storeDesiredPublications(tx: DbOrTx, rows: DesiredPublication[], dirty: { id: string; edge_dirty_at: string }[]): Promise<void> {
  const items = JSON.stringify(rows.map((r) => ({ server_id: r.serverId, provider: r.provider, fqdn: r.fqdn, desired_hash: r.desiredHash })));
  await tx.execute(sql`
    with d as (select * from jsonb_to_recordset(${items}::jsonb) as d(server_id uuid, provider text, fqdn text, desired_hash text))
    insert into edge_publications as p (server_id, provider, fqdn, desired_hash, next_attempt_at)
    select server_id, provider, fqdn, desired_hash, now() from d
    where d.desired_hash is not null or exists (select 1 from edge_publications e where e.server_id = d.server_id and e.provider = d.provider)
    on conflict (server_id, provider) do update set
      desired_hash = excluded.desired_hash,
      fqdn = case when excluded.desired_hash is null then p.fqdn else excluded.fqdn end,
      attempts = 0, last_error = null, last_error_code = null, next_attempt_at = now()
    where p.desired_hash is distinct from excluded.desired_hash`);
  await tx.execute(sql`
    update servers s set edge_dirty_at = null
    from jsonb_to_recordset(${JSON.stringify(dirty)}::jsonb) as d(id uuid, edge_dirty_at timestamptz)
    where s.id = d.id and s.edge_dirty_at = d.edge_dirty_at`);
}

export type PublicationRow = EdgeServerRow & {
  server_id: string;
  provider: string;
  fqdn: string;
  desired_hash: string | null;
  applied_hash: string | null;
  applied_fqdn: string | null;
  attempts: number;
  next_attempt_at: string | null;
  last_error_code: string | null;
  last_error: string | null;
};

/**
 * The publications of these providers whose apply or removal is due (changed, failed and backed off, found
 * wrong by an audit). A row of a provider no longer configured is never listed: it would fill the batch.
 */
export async function listDuePublications(db: DbOrTx, providers: string[], limit: number): Promise<PublicationRow[]> {
  return db.execute<PublicationRow>(sql`
    select p.server_id, p.provider, p.fqdn, p.desired_hash, p.applied_hash, p.applied_fqdn, p.attempts, p.next_attempt_at::text, p.last_error_code, p.last_error, ${EDGE_COLUMNS}
    from edge_publications p join servers s on s.id = p.server_id
    where p.next_attempt_at <= now() and p.provider in (select jsonb_array_elements_text(${JSON.stringify(providers)}::jsonb))
    order by p.next_attempt_at limit ${limit}`);
}

/** Every publication of these servers (the conditions), or of one provider (an audit). */
export async function listPublications(db: DbOrTx, by: { serverIds: string[] } | { provider: string }): Promise<PublicationRow[]> {
  const where = "serverIds" in by ? sql`p.server_id in (select jsonb_array_elements_text(${JSON.stringify(by.serverIds)}::jsonb)::uuid)` : sql`p.provider = ${by.provider}`;
  return db.execute<PublicationRow>(sql`
    select p.server_id, p.provider, p.fqdn, p.desired_hash, p.applied_hash, p.applied_fqdn, p.attempts, p.next_attempt_at::text, p.last_error_code, p.last_error, ${EDGE_COLUMNS}
    from edge_publications p join servers s on s.id = p.server_id where ${where}`);
}

/**
 * The outcome of one apply or removal, if the row still wants what was attempted (a change since then made it
 * due again, and its outcome is the next attempt's): verified, or failed and due again after `retryInMs`.
 */
export async function recordPublicationOutcome(
  db: DbOrTx,
  p: { serverId: string; provider: string; attempted: string | null },
  outcome: { ok: true } | { ok: false; code: string; message: string; retryInMs: number },
): Promise<void> {
  const match = sql`server_id = ${p.serverId} and provider = ${p.provider} and desired_hash is not distinct from ${p.attempted}::text`;
  if (outcome.ok) {
    await db.execute(sql`
      update edge_publications set applied_hash = desired_hash, applied_at = case when desired_hash is null then applied_at else now() end,
        applied_fqdn = case when desired_hash is null then null else fqdn end,
        verified_at = now(), last_error = null, last_error_code = null, attempts = 0, next_attempt_at = null
      where ${match}`);
  } else {
    await db.execute(sql`
      update edge_publications set last_error = ${outcome.message}, last_error_code = ${outcome.code}, attempts = attempts + 1,
        next_attempt_at = now() + ${outcome.retryInMs} * interval '1 millisecond'
      where ${match}`);
  }
}

/**
 * An audit found a publication wrong or missing (`repair`), or something of the server's at a name it should
 * not hold (`leftover`: a deleted server's, or a name the server had before the template changed): due now, no
 * longer counted as verified; a leftover's name is where the next pass removes.
 */
export async function markPublicationsDue(db: DbOrTx, rows: { serverId: string; provider: string; fqdn: string; leftover: boolean }[]): Promise<void> {
  if (rows.length === 0) return;
  const items = JSON.stringify(rows.map((r) => ({ server_id: r.serverId, provider: r.provider, fqdn: r.fqdn, leftover: r.leftover })));
  await db.execute(sql`
    insert into edge_publications as p (server_id, provider, fqdn, desired_hash, applied_fqdn, next_attempt_at)
    select d.server_id, d.provider, d.fqdn, null, case when d.leftover then d.fqdn end, now()
    from jsonb_to_recordset(${items}::jsonb) as d(server_id uuid, provider text, fqdn text, leftover boolean)
    where exists (select 1 from servers s where s.id = d.server_id)
    on conflict (server_id, provider) do update set applied_hash = null, next_attempt_at = now(), attempts = 0,
      fqdn = case when p.desired_hash is null then excluded.fqdn else p.fqdn end,
      applied_fqdn = case when excluded.applied_fqdn is not null then excluded.applied_fqdn else p.applied_fqdn end`);
}

/** Whether a server other than `serverId` wants `fqdn` on this provider now (a reused VMID: the name is the live server's). */
export async function nameWantedByAnother(db: DbOrTx, provider: string, fqdn: string, serverId: string): Promise<boolean> {
  const rows = await db.execute(sql`
    select 1 from edge_publications where provider = ${provider} and fqdn = ${fqdn} and server_id <> ${serverId} and desired_hash is not null limit 1`);
  return rows.length > 0;
}

/**
 * Records each provider's naming fingerprint; when any differs from the last start's (or is new), every server
 * not deleted is marked dirty, so the next passes recompute their names and targets. True when it did.
 */
export async function noteEdgeProviderConfigs(db: DbOrTx, configs: { provider: string; fingerprint: string }[]): Promise<boolean> {
  const items = JSON.stringify(configs);
  const changed = await db.execute(sql`
    with c as (select * from jsonb_to_recordset(${items}::jsonb) as c(provider text, fingerprint text))
    insert into edge_provider_configs as e (provider, fingerprint)
    select provider, fingerprint from c
    on conflict (provider) do update set fingerprint = excluded.fingerprint, updated_at = now()
    where e.fingerprint is distinct from excluded.fingerprint
    returning provider`);
  if (changed.length === 0) return false;
  await db.execute(sql`update servers set edge_dirty_at = clock_timestamp() where status <> 'deleted' and edge_dirty_at is null`);
  return true;
}

/** Rows of deleted servers whose removal is verified: nothing left to do or show. */
export async function dropRemovedPublications(db: DbOrTx, serverId: string): Promise<void> {
  await db.execute(sql`
    delete from edge_publications p using servers s
    where p.server_id = ${serverId} and s.id = p.server_id and s.status = 'deleted'
      and p.desired_hash is null and p.applied_hash is null and p.next_attempt_at is null`);
}

/** Stores a changed `reachable` condition and records `server.condition_changed` with it, in one statement. */
export async function storeReachable(db: DbOrTx, serverId: string, c: { status: boolean; reason: string; message: string }): Promise<void> {
  await db.execute(sql`
    with moved as (
      update servers set reachable = jsonb_build_object('status', ${c.status}::boolean, 'reason', ${c.reason}::text, 'message', ${c.message}::text, 'since', now())
      where id = ${serverId} returning id, host_id
    )
    insert into events (server_id, host_id, type, data)
    select id, host_id, 'server.condition_changed', jsonb_build_object('type', 'reachable', 'status', ${c.status}::boolean, 'reason', ${c.reason}::text, 'message', ${c.message}::text) from moved`);
}

/** A delete asked for while edge providers are configured waits for its removal until then (ZLH_EDGE_DELETE_GRACE_SECONDS). */
export async function holdDeleteForEdge(tx: DbOrTx, serverId: string, graceMs: number): Promise<void> {
  await tx.execute(sql`update servers set edge_hold_until = now() + ${graceMs} * interval '1 millisecond' where id = ${serverId}`);
}

/** Ends a delete's wait for the edge; true when this call ended it. */
export async function releaseEdgeHold(tx: DbOrTx, serverId: string): Promise<boolean> {
  const rows = await tx.execute(sql`update servers set edge_hold_until = null where id = ${serverId} and edge_hold_until is not null returning id`);
  return rows.length > 0;
}

export type EdgeDriftRow = {
  provider: string;
  fqdn: string;
  detail: Record<string, unknown>;
  detected_at: string;
};

/** One audit of a provider: opens the items observed, resolves its open items not observed now. */
export async function recordEdgeDrift(db: DbOrTx, provider: string, observed: { fqdn: string; detail: Record<string, unknown> }[]): Promise<void> {
  const items = JSON.stringify(observed);
  await db.execute(sql`
    with obs as (select * from jsonb_to_recordset(${items}::jsonb) as o(fqdn text, detail jsonb)),
    resolved as (
      update edge_drift d set resolved_at = now()
      where d.provider = ${provider} and d.resolved_at is null and not exists (select 1 from obs where obs.fqdn = d.fqdn)
    )
    insert into edge_drift (provider, fqdn, detail)
    select ${provider}, fqdn, detail from obs
    on conflict (provider, fqdn) where resolved_at is null do update set detail = excluded.detail`);
}

export async function listOpenEdgeDrift(db: DbOrTx): Promise<EdgeDriftRow[]> {
  return db.execute<EdgeDriftRow>(sql`select provider, fqdn, detail, detected_at from edge_drift where resolved_at is null order by detected_at, id`);
}
