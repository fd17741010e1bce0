import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";
import type { ServerSettings } from "./changes";
import { lockClause, type LockMode } from "./lockMode";

export const PROVISION_TASK = "server.provision";

export interface NewServer extends ServerSettings {
  id: string;
  callerId: string;
  idempotencyKey: string;
  requestHash: string;
  customerId: string;
  name: string;
  vmid: number;
  gamePort: number;
  rconPort: number;
}

export type PlacementPolicy = "spread" | "pack";

export interface Placement {
  policy: PlacementPolicy;
  leaseTtlMs: number;
}

/**
 * Where a server is placed: on a host that is not cordoned, whose agent is
 * not known to be down, with room for it, chosen by the placement policy, in
 * one statement: takes the host's capacity, inserts the server row, writes
 * `server.requested` and enqueues its provision job. Returns null when no host
 * fits (with `skip`, none that is not locked right now).
 *
 * It is one statement, run last in the create transaction, because the host
 * row stays locked until commit: every create on that host waits for it, so
 * the lock is held for one round trip plus the commit, not the whole flow.
 */
export async function placeServer(tx: DbOrTx, s: NewServer, mode: LockMode, placement: Placement): Promise<ServerRow | null> {
  // spread: the most free memory first (servers apart, room to grow); pack: the least that fits (hosts filled one by one).
  const order = placement.policy === "pack" ? sql.raw("asc") : sql.raw("desc");
  const rows = await tx.execute<ServerRow>(sql`
    with host as (
      select id from hosts
      where revoked_at is null
        and cordoned_at is null
        -- An agent that has been heard from, but not within one lease TTL, is down: nothing new goes there
        -- (a reconnect within the TTL is not a reason to move). A host never connected yet is placed on:
        -- its agent is expected, and the work waits for it; cordon it to keep it out.
        and (last_heartbeat_at is null or last_heartbeat_at > now() - ${placement.leaseTtlMs} * interval '1 millisecond')
        and memory_mib - allocated_memory_mib >= ${s.memoryMib}
        and cpu_cores - allocated_cpu_cores >= ${s.cpuCores}
        and disk_gib - allocated_disk_gib >= ${s.diskGib}
      order by memory_mib - allocated_memory_mib ${order}, id
      limit 1
      ${lockClause(mode)}
    ), taken as (
      update hosts h set
        allocated_memory_mib = h.allocated_memory_mib + ${s.memoryMib},
        allocated_cpu_cores = h.allocated_cpu_cores + ${s.cpuCores},
        allocated_disk_gib = h.allocated_disk_gib + ${s.diskGib}
      from host where h.id = host.id
      returning h.id
    ), server as (
      insert into servers (
        id, caller_id, idempotency_key, request_hash, customer_id, name,
        minecraft_version, loader_version, mods, server_properties,
        memory_mib, cpu_cores, disk_gib, host_id, vmid, game_port, rcon_port)
      select ${s.id}, ${s.callerId}, ${s.idempotencyKey}, ${s.requestHash}, ${s.customerId}, ${s.name},
        ${s.minecraftVersion}, ${s.loaderVersion}, ${JSON.stringify(s.mods)}::jsonb,
        ${JSON.stringify(s.serverProperties)}::jsonb,
        ${s.memoryMib}, ${s.cpuCores}, ${s.diskGib}, taken.id, ${s.vmid}, ${s.gamePort}, ${s.rconPort}
      from taken
      returning *
    ), event as (
      insert into events (server_id, host_id, type, data)
      select server.id, server.host_id, 'server.requested',
        jsonb_build_object('vmid', server.vmid, 'gamePort', server.game_port, 'rconPort', server.rcon_port)
      from server
    ), job as (
      -- unsafe_dedupe: a second add for the same key while the first is queued
      -- or running is dropped. The unique index on operations is what really
      -- prevents a second provision; this only avoids the wasted run.
      select graphile_worker.add_job(
        ${PROVISION_TASK}, json_build_object('serverId', server.id),
        job_key => 'provision:' || server.id, job_key_mode => 'unsafe_dedupe', max_attempts => 10) as j
      from server
    )
    select server.*, h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at
    from server join hosts h on h.id = server.host_id, job`);
  return rows[0] ?? null;
}
