import { sql } from "drizzle-orm";
import type { IntRange } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";
import type { ServerSettings } from "./changes";
import { lockClause, type LockMode } from "./lockMode";

export const PROVISION_JOB = "server.provision";

export interface NewServer extends ServerSettings {
  id: string;
  callerId: string;
  idempotencyKey: string;
  requestHash: string;
  customerId: string;
  name: string;
  vmid: number;
}

export type PlacementPolicy = "spread" | "pack";

export interface Placement {
  policy: PlacementPolicy;
  leaseTtlMs: number;
}

export type Resources = Pick<ServerSettings, "memoryMiB" | "cpuCores" | "diskGiB">;

/**
 * Where a server goes: a host that is not cordoned, whose agent is not known
 * to be down, with room for it, chosen by the placement policy; its capacity
 * is taken in the same statement. Returns the host's id, or null when no host
 * fits (with `skip`, none that is not locked right now).
 *
 * The host row stays locked until the create commits: every create on that
 * host waits for it, which is what makes the ports chosen next (per host)
 * safe. The create runs this last but one, so the lock is held for two round
 * trips and the commit, not the whole flow.
 */
export async function claimHost(tx: DbOrTx, r: Resources, mode: LockMode, placement: Placement): Promise<string | null> {
  // spread: the most free memory first (servers apart, room to grow); pack: the least that fits (hosts filled one by one).
  const order = placement.policy === "pack" ? sql.raw("asc") : sql.raw("desc");
  const rows = await tx.execute<{ id: string }>(sql`
    with host as (
      select id from hosts
      where revoked_at is null
        and cordoned_at is null
        -- An agent that has been heard from, but not within one lease TTL, is down: nothing new goes there
        -- (a reconnect within the TTL is not a reason to move). A host never connected yet is placed on:
        -- its agent is expected, and the work waits for it; cordon it to keep it out.
        and (last_heartbeat_at is null or last_heartbeat_at > now() - ${placement.leaseTtlMs} * interval '1 millisecond')
        and memory_mib - allocated_memory_mib >= ${r.memoryMiB}
        and cpu_cores - allocated_cpu_cores >= ${r.cpuCores}
        and disk_gib - allocated_disk_gib >= ${r.diskGiB}
      order by memory_mib - allocated_memory_mib ${order}, id
      limit 1
      ${lockClause(mode)}
    )
    update hosts h set
      allocated_memory_mib = h.allocated_memory_mib + ${r.memoryMiB},
      allocated_cpu_cores = h.allocated_cpu_cores + ${r.cpuCores},
      allocated_disk_gib = h.allocated_disk_gib + ${r.diskGiB}
    from host where h.id = host.id
    returning h.id`);
  return rows[0]?.id ?? null;
}

/**
 * The server row on the host claimed by claimHost, in one statement: its two
 * ports (the lowest of `ports` the host has free), on a `static` host its
 * address (the lowest free of the host's range), the row, `server.requested`
 * and, unless the create plans the provision itself, its provision job.
 * Returns null when the host has fewer than two free ports or no free address
 * (placementShortage tells which).
 *
 * Ports and address are read in this statement's snapshot, taken after
 * claimHost got the host's lock, so it sees every one a previous holder of
 * that lock committed; the primary keys of `host_ports` and `host_addresses`
 * are the rule behind it.
 */
export async function insertPlacedServer(tx: DbOrTx, s: NewServer, hostId: string, ports: IntRange, enqueueProvision: boolean): Promise<ServerRow | null> {
  const rows = await tx.execute<ServerRow>(sql`
    with free as (
      -- The two lowest free ports are among the range's first two and the two after each port in use
      -- (the lowest free one starts a gap; the next is its neighbour or starts the next gap): a few
      -- probes per server on the host, not one per port of the range.
      select array(
        select distinct c.p from (
          select ${ports.first}::int as p union all select ${ports.first}::int + 1
          union all select hp.port + d from host_ports hp, (values (1), (2)) as step(d) where hp.host_id = ${hostId}
        ) c
        where c.p between ${ports.first}::int and ${ports.last}::int
          and not exists (select 1 from host_ports hp where hp.host_id = ${hostId} and hp.port = c.p)
        order by c.p limit 2) as pair
    ), addr as (
      -- A static host's lowest free address of its range, found the way the ports are: the range's first and
      -- the one after each address in use. Hosts in dhcp mode, or without a network, allocate nothing.
      select h.network_mode = 'static' as needed, (
        select c.a from (
          select h.network_range_first as a
          union all select ha.address + 1 from host_addresses ha where ha.host_id = h.id
        ) c
        where c.a between h.network_range_first and h.network_range_last
          and not exists (select 1 from host_addresses ha where ha.host_id = h.id and ha.address = c.a)
        order by c.a limit 1) as address
      from hosts h where h.id = ${hostId}
    ), server as (
      insert into servers (
        id, caller_id, idempotency_key, request_hash, customer_id, name,
        minecraft_version, server_type, loader_version, mods, modpack, server_properties,
        memory_mib, cpu_cores, disk_gib, host_id, vmid, game_port, rcon_port, address)
      select ${s.id}, ${s.callerId}, ${s.idempotencyKey}, ${s.requestHash}, ${s.customerId}, ${s.name},
        ${s.minecraftVersion}, ${s.type}, ${s.loaderVersion}, ${JSON.stringify(s.mods)}::jsonb,
        nullif(${JSON.stringify(s.modpack ?? null)}::jsonb, 'null'::jsonb), ${JSON.stringify(s.serverProperties)}::jsonb,
        ${s.memoryMiB}, ${s.cpuCores}, ${s.diskGiB}, ${hostId}, ${s.vmid}, free.pair[1], free.pair[2], addr.address
      from free, addr where cardinality(free.pair) = 2 and (addr.address is not null or addr.needed is not true)
      returning *
    ), held as (
      insert into host_ports (host_id, port, server_id)
      select server.host_id, unnest(array[server.game_port, server.rcon_port]), server.id from server
    ), held_address as (
      insert into host_addresses (host_id, address, server_id)
      select server.host_id, server.address, server.id from server where server.address is not null
    ), event as (
      insert into events (server_id, host_id, type, data)
      select server.id, server.host_id, 'server.requested',
        jsonb_build_object('vmid', server.vmid, 'gamePort', server.game_port, 'rconPort', server.rcon_port, 'address', host(server.address))
      from server
    ), job as (
      -- unsafe_dedupe: a second add for the same key while the first is queued
      -- or running is dropped. The unique index on operations is what really
      -- prevents a second provision; this only avoids the wasted run.
      select graphile_worker.add_job(
        ${PROVISION_JOB}, json_build_object('serverId', server.id),
        job_key => 'provision:' || server.id, job_key_mode => 'unsafe_dedupe', max_attempts => 10) as j
      from server where ${enqueueProvision}
    )
    select server.*, h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at
    from server join hosts h on h.id = server.host_id left join job on true`);
  return rows[0] ?? null;
}

/**
 * Why insertPlacedServer found no room on the host, asked in the same transaction (the host's lock is still
 * held, so nothing changed in between): the address when a static host's range is full, else the ports.
 */
export async function placementShortage(tx: DbOrTx, hostId: string): Promise<"address" | "port"> {
  const rows = await tx.execute<{ full: boolean }>(sql`
    select h.network_mode = 'static' and (select count(*) from host_addresses ha where ha.host_id = h.id)
      >= (h.network_range_last - h.network_range_first) + 1 as full
    from hosts h where h.id = ${hostId}`);
  return rows[0]?.full ? "address" : "port";
}
