import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { leasePairs } from "./params";

export interface HeartbeatOutcome {
  /** Leases renewed; any other lease the agent named is lost to it. */
  renewed: string[];
  /** A digest was sent that does not match the stored inventory: the agent must send the full one. */
  inventoryWanted: boolean;
  /** Released VMIDs this inventory shows gone, now free to hand out again. */
  freed: number[];
}

/**
 * One heartbeat, one statement: renews the leases the session still holds
 * (matching token, still leased, this host, this session current), stores
 * the host's heartbeat time and, when sent, its inventory, and frees the
 * VMIDs released on this host that the inventory (sent, or confirmed by its
 * digest) no longer lists (a VMID is
 * offered again only once its host has confirmed the container gone).
 * Returns null when the session is no longer the host's current one.
 */
export interface HeartbeatRecord {
  hostId: string;
  sessionId: string;
  /** The leases the agent still holds, to renew. */
  held: { opId: string; token: string }[];
  /** The full inventory, when sent. */
  inventory: { vmid: number }[] | undefined;
  /** The lease TTL the renewals get. */
  ttlMs: number;
  /** With `inventory`: its digest, stored with it. Without: the agent's claim that the stored one still holds. */
  digest?: string;
}

export async function recordHeartbeat(db: DbOrTx, beat: HeartbeatRecord): Promise<HeartbeatOutcome | null> {
  const { hostId, sessionId, held, inventory, ttlMs, digest } = beat;
  const present = inventory === undefined ? null : JSON.stringify(inventory.map((c) => c.vmid));
  const sent = inventory === undefined ? null : JSON.stringify(inventory);
  const rows = await db.execute<{ renewed: string[] | null; freed: number[] | null; current: boolean; wanted: boolean }>(sql`
    with before as (
      select inventory_digest, inventory from hosts where id = ${hostId}
    ), present as (
      -- The VMIDs on the host now: those sent, or, when the digest confirms the stored inventory, its own
      -- (a VMID released after the inventory changed is freed by the next confirmation, not left waiting
      -- for the next full list).
      select coalesce(${present}::jsonb,
        case when ${digest ?? null}::text is not null and ${digest ?? null}::text = before.inventory_digest
          then (select coalesce(jsonb_agg(c->'vmid'), '[]'::jsonb) from jsonb_array_elements(coalesce(before.inventory, '[]'::jsonb)) c) end) as vmids
      from before
    ), host as (
      -- The inventory is written only when sent (it changed, or was asked for); a matching digest only
      -- moves inventory_at: the same evidence, observed now. A heartbeat of an idle host writes no inventory.
      update hosts set last_heartbeat_at = now(),
        inventory = coalesce(${sent}::jsonb, inventory),
        inventory_digest = case when ${sent}::jsonb is not null then ${digest ?? null}::text else inventory_digest end,
        inventory_at = case
          when ${sent}::jsonb is not null then now()
          when ${digest ?? null}::text is not null and ${digest ?? null}::text = inventory_digest then now()
          else inventory_at end
      where id = ${hostId} and session_id = ${sessionId}
      returning id
    ), renewed as (
      update operations o set lease_expires_at = now() + ${ttlMs} * interval '1 millisecond'
      from host, ${leasePairs(held)}
      where o.id = h.op_id and o.lease_token = h.token and o.status = 'leased'
        and o.host_id = host.id and o.lease_session_id = ${sessionId}
      returning o.id
    ), freed as (
      update vmid_pool p set state = 'free', host_id = null
      from host, present
      where present.vmids is not null and p.state = 'releasing' and p.host_id = host.id
        and not (p.vmid = any(array(select jsonb_array_elements_text(present.vmids)::int)))
      returning p.vmid
    )
    select (select array_agg(id) from renewed) as renewed, (select array_agg(vmid) from freed) as freed,
      exists (select 1 from host) as current,
      (${sent}::jsonb is null and ${digest ?? null}::text is not null
        and ${digest ?? null}::text is distinct from (select inventory_digest from before)) as wanted`);
  const row = rows[0];
  if (!row?.current) return null;
  return { renewed: row.renewed ?? [], freed: row.freed ?? [], inventoryWanted: row.wanted };
}
