import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { leasePairs } from "./params";

/**
 * One heartbeat, one statement: renews the leases the session still holds
 * (matching token, still leased, this host, this session current) and stores
 * the host's heartbeat time and, when sent, its inventory. Returns the ids
 * renewed; any other held lease is lost to the agent.
 */
export async function recordHeartbeat(
  db: DbOrTx,
  hostId: string,
  sessionId: string,
  held: { opId: string; token: string }[],
  inventory: unknown | undefined,
  ttlMs: number,
): Promise<string[] | null> {
  const rows = await db.execute<{ renewed: string[] | null; current: boolean }>(sql`
    with host as (
      update hosts set last_heartbeat_at = now(),
        inventory = coalesce(${inventory === undefined ? null : JSON.stringify(inventory)}::jsonb, inventory),
        inventory_at = case when ${inventory === undefined ? null : "1"}::text is null then inventory_at else now() end
      where id = ${hostId} and session_id = ${sessionId}
      returning id
    ), renewed as (
      update operations o set lease_expires_at = now() + ${ttlMs} * interval '1 millisecond'
      from host, ${leasePairs(held)}
      where o.id = h.op_id and o.lease_token = h.token and o.status = 'leased'
        and o.host_id = host.id and o.lease_session_id = ${sessionId}
      returning o.id
    )
    select (select array_agg(id) from renewed) as renewed, exists (select 1 from host) as current`);
  const row = rows[0];
  if (!row?.current) return null;
  return row.renewed ?? [];
}
