import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { liveOperation } from "./statusLists";

export interface FleetGauges {
  operations: { kind: string; status: string; count: number }[];
  oldestQueuedSeconds: number;
  jobsDue: number;
  oldestJobSeconds: number;
  drift: { kind: string; count: number }[];
  heartbeatLagSeconds: number;
  hostsTotal: number;
  hostsConnected: number;
  connections: { state: string; count: number }[];
}

/**
 * What a metrics scrape reads of the fleet, in one statement. Each part uses
 * an index or a small table: live operations (partial indexes on queued and
 * leased), graphile-worker's due jobs, open drift items, hosts, and
 * pg_stat_activity.
 */
export async function readFleetGauges(db: DbOrTx, leaseTtlMs: number): Promise<FleetGauges> {
  const [row] = await db.execute<{ g: FleetGauges }>(sql`
    select json_build_object(
      'operations', coalesce((select json_agg(json_build_object('kind', kind, 'status', status, 'count', n))
        from (select kind, status, count(*)::int as n from operations where status in (${liveOperation}) group by 1, 2) o), '[]'::json),
      'oldestQueuedSeconds', coalesce((select extract(epoch from now() - min(created_at)) from operations where status = 'queued'), 0),
      'jobsDue', (select count(*)::int from graphile_worker.jobs where locked_at is null and run_at <= now()),
      'oldestJobSeconds', coalesce((select extract(epoch from now() - min(run_at)) from graphile_worker.jobs where locked_at is null and run_at <= now()), 0),
      'drift', coalesce((select json_agg(json_build_object('kind', kind, 'count', n))
        from (select kind, count(*)::int as n from drift_items where resolved_at is null group by 1) d), '[]'::json),
      'heartbeatLagSeconds', coalesce((select extract(epoch from now() - min(last_heartbeat_at)) from hosts
        where revoked_at is null and session_id is not null), 0),
      'hostsTotal', (select count(*)::int from hosts where revoked_at is null),
      'hostsConnected', (select count(*)::int from hosts where revoked_at is null and session_id is not null
        and last_heartbeat_at > now() - ${leaseTtlMs} * interval '1 millisecond'),
      'connections', coalesce((select json_agg(json_build_object('state', state, 'count', n))
        from (select coalesce(state, 'unknown') as state, count(*)::int as n from pg_stat_activity
              where application_name = 'zlh-control-plane' group by 1) c), '[]'::json)
    ) as g`);
  return row!.g;
}
