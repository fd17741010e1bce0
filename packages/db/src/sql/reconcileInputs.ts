import { sql } from "drizzle-orm";
import type { DesiredState, ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";
import { uuidArray } from "./params";

export type HostForReconcile = {
  id: string;
  node: string;
  session_id: string | null;
  last_heartbeat_at: string | null;
  inventory: { vmid: number; state: "running" | "stopped"; serverId: string | null }[] | null;
  /** When the control plane received that inventory (the agent took it just before sending). */
  inventory_at: string | null;
};

export async function listHostsForReconcile(db: DbOrTx, hostId?: string): Promise<HostForReconcile[]> {
  return db.execute<HostForReconcile>(sql`
    select id, node, session_id, last_heartbeat_at, inventory, inventory_at from hosts
    where revoked_at is null and (${hostId ?? null}::uuid is null or id = ${hostId ?? null}::uuid)
    order by id`);
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

/** The host's servers that are not deleted, each with its count of operations in flight. */
export async function serversOnHost(db: DbOrTx, hostId: string): Promise<ServerOnHostRow[]> {
  return db.execute<ServerOnHostRow>(sql`
    select s.id, s.status, s.desired_state, s.vmid, s.status_changed_at, s.restart_count, s.crash_streak, s.last_crash_at, s.heal_after,
      (select count(*)::int from operations o where o.server_id = s.id and o.status in ('queued', 'leased')) as live_ops
    from servers s where s.host_id = ${hostId} and s.status <> 'deleted'`);
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
