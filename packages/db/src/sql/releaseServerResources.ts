import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * Gives back what a server held, in the transaction that records its
 * confirmed destroy and never before: host capacity, the host's ports and the
 * server's address (on a static host) become free at once (the server row keeps
 * its address as history); the VMID becomes `releasing` and is offered again only after the
 * host's inventory shows it absent (recordHeartbeat), so a destroy still in
 * flight on the host can never collide with a new create.
 */
export async function releaseServerResources(tx: DbOrTx, serverId: string): Promise<void> {
  await tx.execute(sql`
    with s as (
      select id, host_id, vmid, memory_mib, cpu_cores, disk_gib from servers where id = ${serverId}
    ), host as (
      update hosts h set
        allocated_memory_mib = h.allocated_memory_mib - s.memory_mib,
        allocated_cpu_cores = h.allocated_cpu_cores - s.cpu_cores,
        allocated_disk_gib = h.allocated_disk_gib - s.disk_gib
      from s where h.id = s.host_id
      returning h.id
    ), ports as (
      delete from host_ports where server_id = ${serverId} returning port
    ), address as (
      delete from host_addresses where server_id = ${serverId} returning host(address) as address
    ), vmid as (
      update vmid_pool p set state = 'releasing', server_id = null, host_id = s.host_id
      from s where p.server_id = s.id
      returning p.vmid
    )
    insert into events (server_id, host_id, type, data)
    select s.id, s.host_id, 'server.resources_released',
      jsonb_build_object('vmid', (select vmid from vmid), 'ports', (select jsonb_agg(port) from ports), 'vmidState', 'releasing',
        'address', (select address from address))
    from s`);
}

