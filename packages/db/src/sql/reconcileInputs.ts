import { sql } from "drizzle-orm";
import type { DesiredState, ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";
import { uuidArray } from "./params";
import { liveOperation, readOnlyKind } from "./statusLists";

export type InventoryRow = { vmid: number; state: "running" | "stopped"; serverId: string | null };

/** A host as reconciliation first sees it: its evidence's identity and freshness, not the evidence itself. */
export type HostToReconcile = {
  id: string;
  node: string;
  session_id: string | null;
  last_heartbeat_at: string | null;
  inventory_digest: string | null;
  /** When the control plane received (or, by digest, confirmed) the inventory: the evidence's time. */
  inventory_at: string | null;
  reconciled_evidence: string | null;
  /** The last pass is stale: never reconciled, something left unjudged, a server changed status since, or a recheck is due. */
  due: boolean;
  has_open_drift: boolean;
  has_excluded_vmids: boolean;
};

export interface ReconcileSchedule {
  /** Every host is judged again at least this often, changed or not. */
  recheckMs: number;
  /**
   * A transition committed while a pass read the servers carries its own
   * transaction's start time, which can be before the pass's: a server that
   * changed status within this margin before the last pass counts as changed.
   */
  clockMarginMs: number;
}

/**
 * Every host that is not revoked (or the one asked for), narrow: which of
 * them need a pass is decided from these columns and the evidence's digest,
 * without reading any inventory or any server.
 */
export async function listHostsToReconcile(db: DbOrTx, schedule: ReconcileSchedule, hostId?: string): Promise<HostToReconcile[]> {
  return db.execute<HostToReconcile>(sql`
    select h.id, h.node, h.session_id, h.last_heartbeat_at, h.inventory_digest, h.inventory_at, h.reconciled_evidence,
      (h.reconciled_at is null or not h.reconcile_settled
        or h.reconciled_at < now() - ${schedule.recheckMs} * interval '1 millisecond'
        or exists (select 1 from servers s where s.host_id = h.id
          and s.status_changed_at > h.reconciled_at - ${schedule.clockMarginMs} * interval '1 millisecond')) as due,
      exists (select 1 from drift_items d where d.host_id = h.id and d.resolved_at is null) as has_open_drift,
      exists (select 1 from vmid_pool v where v.host_id = h.id and v.state = 'excluded') as has_excluded_vmids
    from hosts h
    where h.revoked_at is null and (${hostId ?? null}::uuid is null or h.id = ${hostId ?? null}::uuid)
    order by h.id`);
}

/** The stored inventories of some hosts (with when each was observed, and when this read was). */
export async function hostInventories(
  db: DbOrTx,
  hostIds: string[],
): Promise<{ id: string; inventory: InventoryRow[] | null; inventory_at: string | null; read_at: string }[]> {
  if (hostIds.length === 0) return [];
  return db.execute(sql`select id, inventory, inventory_at, statement_timestamp() as read_at from hosts where id = any(${uuidArray(hostIds)}) and revoked_at is null`);
}

/** A pass's verdict on one host, stored so that the next pass can skip it while nothing changed. */
export interface ReconciledMark {
  hostId: string;
  evidence: string;
  settled: boolean;
  /** When the servers behind the verdict were read (null: now). */
  at: Date | null;
}

/** Records the verdicts of a pass, for many hosts in one statement. */
export async function markReconciled(db: DbOrTx, marks: ReconciledMark[]): Promise<void> {
  if (marks.length === 0) return;
  const rows = JSON.stringify(marks.map((m) => ({ id: m.hostId, evidence: m.evidence, settled: m.settled, at: m.at?.toISOString() ?? null })));
  await db.execute(sql`
    update hosts h set reconciled_evidence = m.evidence, reconcile_settled = m.settled, reconciled_at = coalesce(m.at, now())
    from jsonb_to_recordset(${rows}::jsonb) as m(id uuid, evidence text, settled boolean, at timestamptz)
    where h.id = m.id`);
}

export type ServerOnHostRow = {
  id: string;
  status: ServerStatus;
  desired_state: DesiredState;
  vmid: number;
  live_ops: number;
  status_changed_at: string;
  restart_count: number;
  crash_streak: number;
  last_crash_at: string | null;
  heal_after: string | null;
};

/**
 * The host's servers that are not deleted, each with its count of operations
 * in flight. A read (`logs`: an open console) changes nothing, so it is not
 * work in flight: counting it would leave a crashed server unjudged for as
 * long as someone watches its log.
 */
export async function serversOnHost(db: DbOrTx, hostId: string): Promise<ServerOnHostRow[]> {
  return serversOnHosts(db, [hostId]);
}

/** serversOnHost for many hosts in one statement (each row names its host). */
export async function serversOnHosts(db: DbOrTx, hostIds: string[]): Promise<(ServerOnHostRow & { host_id: string })[]> {
  if (hostIds.length === 0) return [];
  return db.execute(sql`
    select s.host_id, s.id, s.status, s.desired_state, s.vmid, s.status_changed_at, s.restart_count, s.crash_streak, s.last_crash_at, s.heal_after,
      (select count(*)::int from operations o where o.server_id = s.id and o.status in (${liveOperation}) and o.kind not in (${readOnlyKind})) as live_ops
    from servers s where s.host_id = any(${uuidArray(hostIds)}) and s.status <> 'deleted'`);
}

export type MarkerOwnerRow = {
  id: string;
  status: ServerStatus;
  vmid: number;
  host_id: string;
  updated_at: string;
  /** For a deleted server: how its last reap (destroy of an orphan) ended, if there was one. */
  last_reap_status: string | null;
};

export async function markerOwners(db: DbOrTx, ids: string[]): Promise<MarkerOwnerRow[]> {
  if (ids.length === 0) return [];
  return db.execute<MarkerOwnerRow>(sql`
    select s.id, s.status, s.vmid, s.host_id, s.updated_at,
      (select o.status from operations o where o.server_id = s.id and o.kind = 'destroy' and s.status = 'deleted'
        order by o.generation desc limit 1) as last_reap_status
    from servers s where s.id = any(${uuidArray(ids)})`);
}

/**
 * For destroying an orphan of a deleted server: a new generation on the
 * deleted row, so the reap is an operation of its own (unique per server,
 * generation and kind) and still fenced like any other.
 */
export async function bumpDeletedServerGeneration(tx: DbOrTx, serverId: string): Promise<ServerRow | null> {
  const rows = await tx.execute<ServerRow>(sql`
    update servers set generation = generation + 1, updated_at = now()
    where id = ${serverId} and status = 'deleted'
    returning *`);
  return rows[0] ?? null;
}
