import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export type DriftKind = "missing_container" | "orphan_container" | "unmanaged_container" | "state_mismatch" | "vmid_conflict" | "crash_loop";

export interface ObservedDrift {
  kind: DriftKind;
  vmid: number;
  serverId: string | null;
  detail: Record<string, unknown>;
  /** When the evidence behind this item was taken (an agent's inventory, a Proxmox listing). */
  observedAt: Date;
  /** Observations before this instant do not count toward persistence (the server changed status then). */
  since: Date | null;
}

export type DriftRow = {
  id: string;
  kind: DriftKind;
  host_id: string;
  vmid: number;
  server_id: string | null;
  detail: Record<string, unknown>;
  detected_at: string;
  seen_at: string;
  /** True when this pass is not the first to see it (used to act only on persistent drift). */
  persistent: boolean;
  /** True when this pass opened it: it is reported once, however many passes judge the same evidence before it is persistent. */
  opened: boolean;
};

/**
 * Records what one reconciliation pass of a host observed: open items are
 * kept or opened, and the host's open items not observed now are resolved.
 * Returns the open items, each marked opened when this pass opened it, and persistent when it was already open
 * from an earlier, distinct observation: taken before this one's evidence
 * (two passes over one inventory are one observation, however fast
 * reconciliation runs, and two concurrent passes over the same evidence
 * cannot make each other persistent) and after the item's `since`.
 *
 * An item seen again as it was is not rewritten: its first observation
 * already proves persistence, unless it predates the item's `since` (then it
 * moves to this observation). So a host with fifty unmanaged guests writes
 * nothing per pass; `seen_at` moves when an item changes, and the host's
 * `reconciled_at` says when its open items were last confirmed.
 */
export async function recordDriftPass(db: DbOrTx, hostId: string, observed: ObservedDrift[]): Promise<DriftRow[]> {
  const items = JSON.stringify(
    observed.map((o) => ({ kind: o.kind, vmid: o.vmid, server_id: o.serverId, detail: o.detail, observed_at: o.observedAt.toISOString(), since: o.since?.toISOString() ?? null })),
  );
  return db.execute<DriftRow>(sql`
    with obs as (
      select * from jsonb_to_recordset(${items}::jsonb) as o(kind text, vmid int, server_id uuid, detail jsonb, observed_at timestamptz, since timestamptz)
    ), earlier as (
      select d.id, d.kind, d.vmid, d.observed_at from drift_items d where d.host_id = ${hostId} and d.resolved_at is null
    ), resolved as (
      update drift_items d set resolved_at = now()
      where d.host_id = ${hostId} and d.resolved_at is null
        and not exists (select 1 from obs where obs.kind = d.kind and obs.vmid = d.vmid)
      returning d.id, d.kind, d.vmid, d.server_id
    ), resolved_event as (
      insert into events (server_id, host_id, type, data)
      select (select s.id from servers s where s.id = r.server_id), ${hostId}, 'drift.resolved', jsonb_build_object('driftId', r.id::text, 'kind', r.kind, 'vmid', r.vmid) from resolved r
    ), changed as (
      update drift_items d set seen_at = now(), detail = o.detail, server_id = o.server_id, observed_at = greatest(d.observed_at, o.observed_at)
      from obs o
      where d.host_id = ${hostId} and d.resolved_at is null and d.kind = o.kind and d.vmid = o.vmid
        and (d.detail is distinct from o.detail or d.server_id is distinct from o.server_id
          or (o.since is not null and d.observed_at <= o.since and o.observed_at > d.observed_at))
      returning d.*
    ), inserted as (
      insert into drift_items (kind, host_id, vmid, server_id, detail, observed_at)
      select o.kind, ${hostId}, o.vmid, o.server_id, o.detail, o.observed_at from obs o
      where not exists (select 1 from earlier e where e.kind = o.kind and e.vmid = o.vmid)
      on conflict (kind, host_id, vmid) where resolved_at is null do nothing
      returning *
    ), kept as (
      select d.* from drift_items d join obs o on o.kind = d.kind and o.vmid = d.vmid
      where d.host_id = ${hostId} and d.resolved_at is null and d.id not in (select id from changed)
    ), still_open as (
      select *, false as opened from changed union all select *, true as opened from inserted union all select *, false as opened from kept
    )
    select u.id::text, u.kind, u.host_id, u.vmid, u.server_id, u.detail, u.detected_at, u.seen_at, u.opened,
      exists (
        select 1 from earlier e join obs o on o.kind = e.kind and o.vmid = e.vmid
        where e.kind = u.kind and e.vmid = u.vmid and e.observed_at < o.observed_at and (o.since is null or e.observed_at > o.since)
      ) as persistent
    from still_open u`);
}

export type ListedDrift = DriftRow & { acknowledged_at: string | null; acknowledged_by: string | null };

/**
 * Open items a page at a time, by id (keyset: after `afterId`); acknowledged
 * ones only when asked.
 */
export async function listOpenDrift(db: DbOrTx, q: { afterId?: string; limit: number; includeAcknowledged: boolean }): Promise<{ rows: ListedDrift[]; more: boolean }> {
  const rows = await db.execute<ListedDrift>(sql`
    select id::text, kind, host_id, vmid, server_id, detail, detected_at, seen_at, acknowledged_at, acknowledged_by, true as persistent, false as opened
    from drift_items
    where resolved_at is null
      and (${q.afterId ?? null}::bigint is null or id > ${q.afterId ?? null}::bigint)
      and (${q.includeAcknowledged} or acknowledged_at is null)
    order by id
    limit ${q.limit + 1}`);
  return { rows: rows.slice(0, q.limit), more: rows.length > q.limit };
}

/**
 * An operator saw an open item and said so (`by`: the client): it leaves the
 * default list, with `drift.acknowledged`. Acknowledging it again changes
 * nothing. Null when no open item has this id.
 */
export async function acknowledgeDrift(db: DbOrTx, id: string, by: string): Promise<ListedDrift | null> {
  const rows = await db.execute<ListedDrift>(sql`
    with acked as (
      update drift_items set acknowledged_at = now(), acknowledged_by = ${by}
      where id = ${id}::bigint and resolved_at is null and acknowledged_at is null
      returning *
    ), event as (
      insert into events (server_id, host_id, type, data)
      select (select s.id from servers s where s.id = a.server_id), a.host_id, 'drift.acknowledged', jsonb_build_object('driftId', a.id::text, 'kind', a.kind, 'vmid', a.vmid)
      from acked a
    ), current as (
      select * from acked union all select * from drift_items where id = ${id}::bigint and resolved_at is null and not exists (select 1 from acked)
    )
    select id::text, kind, host_id, vmid, server_id, detail, detected_at, seen_at, acknowledged_at, acknowledged_by, true as persistent, false as opened from current`);
  return rows[0] ?? null;
}

/**
 * Unmanaged guests' VMIDs are never handed out: free pool rows whose VMID an
 * unmanaged guest occupies on this host become `excluded`, and return to
 * `free` once the guest is gone.
 */
export async function syncExcludedVmids(db: DbOrTx, hostId: string, unmanaged: readonly number[]): Promise<void> {
  const list = sql`array(select jsonb_array_elements_text(${JSON.stringify(unmanaged)}::jsonb)::int)`;
  await db.execute(sql`
    update vmid_pool set state = 'excluded', host_id = ${hostId}
    where state = 'free' and vmid = any(${list})`);
  await db.execute(sql`
    update vmid_pool set state = 'free', host_id = null
    where state = 'excluded' and host_id = ${hostId} and not (vmid = any(${list}))`);
}
