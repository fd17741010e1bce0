import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { OperationRow, ServerRow } from "../rows";
import { OP_COLUMNS } from "./operationColumns";
import { readOnlyKind } from "./statusLists";

/** What a lease carries of its server: the container's spec, and the files to place (provisions only). */
export type LeasedRow = OperationRow &
  Pick<
    ServerRow,
    | "memory_mib"
    | "cpu_cores"
    | "disk_gib"
    | "game_port"
    | "rcon_port"
    | "minecraft_version"
    | "loader_version"
    | "server_properties"
    | "manifest"
    | "rcon_password_enc"
  > & {
    /** The address the server holds in host_addresses (allocated on a static host); null otherwise. */
    allocated_address: string | null;
    /** The host's network mode and bridge, and its subnet's prefix length (static): the container's net0. */
    network_mode: "static" | "dhcp" | null;
    network_bridge: string | null;
    network_prefix: number | null;
    network_gateway: string | null;
    /** For a reinstall's provision: whether it wipes the customer's files too; null for any other operation. */
    reinstall_wipe: boolean | null;
    /** For a change's provision: what to go back to if the server does not come up; null otherwise. */
    change: { previousManifest: unknown; previous: Record<string, unknown>; start: boolean } | null;
    desired_state: ServerRow["desired_state"];
  };

/**
 * Grants up to `max` queued operations of the host to its current session, in
 * one statement: oldest first, none still in its retry backoff, rows other
 * grants hold are skipped (SKIP LOCKED), each gets attempt + 1, a lease expiry and a fresh fencing token
 * from `fencing_token_seq` (so tokens only grow), and an `op.leased` event.
 * Nothing is granted to a session that is no longer the host's current one.
 * Each row carries what the agent needs of its server (LeasedRow), so a
 * grant reads nothing else.
 */
export async function leaseNextOperations(
  db: DbOrTx,
  hostId: string,
  sessionId: string,
  max: number,
  ttlMs: number,
): Promise<LeasedRow[]> {
  return db.execute<LeasedRow>(sql`
    with next as (
      select o.id as op_id from operations o
      join hosts h on h.id = o.host_id and h.session_id = ${sessionId}
      where o.host_id = ${hostId} and o.status = 'queued' and (o.not_before is null or o.not_before <= now())
      order by o.created_at, o.id
      limit ${max}
      for update of o skip locked
    ), leased as (
      update operations o set
        status = 'leased',
        attempt = o.attempt + 1,
        lease_token = nextval('fencing_token_seq'),
        lease_session_id = ${sessionId},
        lease_expires_at = now() + ${ttlMs} * interval '1 millisecond',
        updated_at = now()
      from next where o.id = next.op_id
      returning ${OP_COLUMNS}
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.leased',
        jsonb_build_object('kind', kind, 'token', lease_token::text, 'attempt', attempt, 'sessionId', lease_session_id)
      from leased where kind not in (${readOnlyKind})
    )
    select leased.*, s.memory_mib, s.cpu_cores, s.disk_gib, s.game_port, s.rcon_port, s.minecraft_version,
      s.loader_version, s.server_properties,
      case when leased.kind not in ('provision', 'restore') then null
        when leased.generation = s.change_generation and s.change_status = 'applying' then s.requested_manifest
        else s.manifest end as manifest,
      case when leased.kind = 'provision' and leased.generation = s.change_generation and s.change_status = 'applying'
        then jsonb_build_object('previousManifest', s.manifest, 'previous', s.previous_config, 'start', s.desired_state = 'running') end as change,
      s.rcon_password_enc, s.desired_state, (select host(ha.address) from host_addresses ha where ha.server_id = s.id) as allocated_address,
      h.network_mode, h.network_bridge, masklen(h.network_subnet) as network_prefix, host(h.network_gateway) as network_gateway,
      case when leased.kind = 'provision' and leased.generation = s.reinstall_generation then s.reinstall_wipe end as reinstall_wipe
    from leased join servers s on s.id = leased.server_id join hosts h on h.id = leased.host_id`);
}
