import { sql } from "drizzle-orm";
import type { HostNetwork } from "@zlh/domain";
import type { DbOrTx, Tx } from "../client";
import type { HostRow } from "../rows";
import { networkColumns } from "./hosts";

export type NetworkChange = { host: HostRow } | { notFound: true } | { held: string[] };

/**
 * Replaces a host's network settings, unless servers hold addresses the new
 * settings would not cover (outside the new static range, or any at all when
 * the host turns dhcp): then nothing is written and those addresses are
 * returned.
 *
 * The host row is locked first, in its own statement: a create placing on
 * this host holds that lock until it commits, so the check that follows (a
 * new snapshot) sees every address it allocated, and no create allocates from
 * the old range after this check.
 */
export async function setHostNetwork(tx: Tx, hostId: string, network: HostNetwork): Promise<NetworkChange> {
  const locked = await tx.execute<{ id: string }>(sql`select id from hosts where id = ${hostId} and revoked_at is null for update`);
  if (locked.length === 0) return { notFound: true };
  const n = networkColumns(network);
  const held = await tx.execute<{ address: string }>(sql`
    select host(address) as address from host_addresses
    where host_id = ${hostId} and (${n.mode} <> 'static' or not address between ${n.first}::inet and ${n.last}::inet)
    order by address limit 20`);
  if (held.length > 0) return { held: held.map((r) => r.address) };
  const rows = await tx.execute<HostRow>(sql`
    with h as (
      update hosts set network_mode = ${n.mode}, network_bridge = ${n.bridge}, network_subnet = ${n.subnet}::cidr,
        network_gateway = ${n.gateway}::inet, network_range_first = ${n.first}::inet, network_range_last = ${n.last}::inet
      where id = ${hostId}
      returning *
    ), event as (
      insert into events (host_id, type, data)
      select id, 'host.network_changed', jsonb_build_object('mode', network_mode, 'bridge', network_bridge, 'subnet', network_subnet::text,
        'gateway', host(network_gateway), 'rangeFirst', host(network_range_first), 'rangeLast', host(network_range_last))
      from h
    )
    select * from h`);
  return { host: rows[0]! };
}

/**
 * Records the address an agent observed for a server (a provision's `result.address`) where the platform
 * allocated none: a static allocation (held in host_addresses) is never overridden. A change is recorded as
 * `server.address_observed`. Returns whether it changed.
 */
export async function recordObservedAddress(db: DbOrTx, serverId: string, operationId: string, address: string): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    with taken as (
      -- The customer's root owns its network namespace and may add any address to it: one another live
      -- server of the host holds (observed or allocated) is never taken over.
      select 1 from servers me join servers other on other.host_id = me.host_id and other.id <> me.id
      where me.id = ${serverId} and other.status <> 'deleted' and other.address = ${address}::inet
      union all
      select 1 from servers me join host_addresses ha on ha.host_id = me.host_id and ha.address = ${address}::inet and ha.server_id <> me.id
      where me.id = ${serverId}
    ), s as (
      update servers s set address = ${address}::inet, updated_at = now()
      where s.id = ${serverId} and s.address is distinct from ${address}::inet
        and not exists (select 1 from host_addresses ha where ha.server_id = s.id)
        and not exists (select 1 from taken)
      returning s.id, s.host_id
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select id, host_id, ${operationId}, 'server.address_observed', jsonb_build_object('address', ${address}::text) from s
    ), refused as (
      insert into events (server_id, host_id, operation_id, type, data)
      select id, host_id, ${operationId}, 'server.address_refused',
        jsonb_build_object('address', ${address}::text, 'reason', 'another server of this host holds it')
      from servers where id = ${serverId} and exists (select 1 from taken)
    )
    select id from s`);
  return rows.length > 0;
}
