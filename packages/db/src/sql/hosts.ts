import { sql } from "drizzle-orm";
import type { HostNetwork } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { HostRow } from "../rows";
import { SESSION_CHANNEL } from "./sessions";

export interface NewHost {
  name: string;
  node: string;
  agentTokenHash: string;
  memoryMiB: number;
  cpuCores: number;
  diskGiB: number;
  /** Validated (validateHostNetwork); absent: the host has no network settings. */
  network?: HostNetwork;
}

/** A HostNetwork as the hosts table's six columns (null for what a mode has not). */
export function networkColumns(n: HostNetwork | undefined) {
  const s = n?.mode === "static" ? n : null;
  return { mode: n?.mode ?? null, bridge: n?.bridge ?? null, subnet: s?.subnet ?? null, gateway: s?.gateway ?? null, first: s?.rangeFirst ?? null, last: s?.rangeLast ?? null };
}

/** Enrols a host; returns null if the name is taken (the unique index decides, not a prior read). */
export async function enrollHost(db: DbOrTx, h: NewHost): Promise<HostRow | null> {
  const n = networkColumns(h.network);
  const rows = await db.execute<HostRow>(sql`
    with h as (
      insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib,
        network_mode, network_bridge, network_subnet, network_gateway, network_range_first, network_range_last)
      values (${h.name}, ${h.node}, ${h.agentTokenHash}, ${h.memoryMiB}, ${h.cpuCores}, ${h.diskGiB},
        ${n.mode}, ${n.bridge}, ${n.subnet}::cidr, ${n.gateway}::inet, ${n.first}::inet, ${n.last}::inet)
      on conflict (name) do nothing
      returning *
    ), event as (
      insert into events (host_id, type, data) select id, 'host.enrolled', jsonb_build_object('name', name, 'node', node, 'networkMode', network_mode) from h
    )
    select * from h`);
  return rows[0] ?? null;
}

/**
 * Replaces a host's agent token. With a grace (`graceMs` > 0) the old token
 * keeps working until the grace ends (new connections with it are accepted,
 * the live session stays), then expirePreviousAgentTokens clears it and
 * closes its sessions; a token rotated again inside the grace replaces the
 * previous one, so at most two work at once. With no grace the old token
 * stops at once: new connections with it are refused, and the live session
 * (on whichever control-plane process holds it) is ended through the
 * session channel.
 */
export async function rotateAgentToken(
  db: DbOrTx,
  hostId: string,
  agentTokenHash: string,
  graceMs: number,
): Promise<{ id: string; name: string; node: string; previousTokenExpiresAt: string | null } | null> {
  const grace = graceMs > 0;
  const rows = await db.execute<{ id: string; name: string; node: string; expires: string | null }>(sql`
    with h as (
      update hosts set agent_token_hash = ${agentTokenHash},
        previous_agent_token_hash = case when ${grace}::boolean then agent_token_hash end,
        previous_agent_token_expires_at = case when ${grace}::boolean then now() + ${graceMs} * interval '1 millisecond' end,
        session_id = case when ${grace}::boolean then session_id end
      where id = ${hostId} and revoked_at is null
      returning id, name, node, previous_agent_token_expires_at as expires
    ), event as (
      insert into events (host_id, type, data) select id, 'host.token_rotated', jsonb_build_object('previousTokenExpiresAt', expires) from h
    )
    select id, name, node, expires, case when not ${grace}::boolean then pg_notify(${SESSION_CHANNEL}, id::text || ':revoked') end from h`);
  const row = rows[0];
  return row ? { id: row.id, name: row.name, node: row.node, previousTokenExpiresAt: row.expires } : null;
}

export async function findHostByName(db: DbOrTx, name: string): Promise<HostRow | null> {
  const rows = await db.execute<HostRow>(sql`select * from hosts where name = ${name} and revoked_at is null`);
  return rows[0] ?? null;
}
