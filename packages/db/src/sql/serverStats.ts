import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/** The history kept per server: 60 samples, 30 minutes at the agent's 30 s cadence. */
export const STATS_HISTORY = 60;

export interface ServerStatSample {
  vmid: number;
  serverId: string;
  cpuPercent: number | null;
  memoryBytes: number | null;
  playersOnline?: number | null;
  playersMax?: number | null;
  diskBytes?: number | null;
}

/**
 * One agent's live figures, one statement (docs/live-stats.md): each
 * server's latest (`stats`, stamped now) and its history ring (the last
 * STATS_HISTORY, oldest first). Only the reporting host's own servers at the
 * VMID reported are written: an agent cannot write another host's figures.
 */
export async function recordServerStats(db: DbOrTx, hostId: string, samples: ServerStatSample[]): Promise<void> {
  if (samples.length === 0) return;
  const items = JSON.stringify(samples.map((s) => ({ vmid: s.vmid, server_id: s.serverId, cpu: s.cpuPercent, mem: s.memoryBytes, on: s.playersOnline ?? null, max: s.playersMax ?? null, disk: s.diskBytes ?? null })));
  await db.execute(sql`
    with o as (
      select o.server_id, jsonb_build_object('at', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'cpuPercent', o.cpu, 'memoryBytes', o.mem,
        'playersOnline', o.on, 'playersMax', o.max, 'diskBytes', o.disk) as sample, o.vmid
      from jsonb_to_recordset(${items}::jsonb) as o(vmid int, server_id uuid, cpu float8, mem int8, "on" int, max int, disk int8)
    )
    update servers s set stats = o.sample,
      stats_history = (
        select coalesce(jsonb_agg(e order by n), '[]'::jsonb) from jsonb_array_elements(coalesce(s.stats_history, '[]'::jsonb) || jsonb_build_array(o.sample)) with ordinality as h(e, n)
        where n > jsonb_array_length(coalesce(s.stats_history, '[]'::jsonb)) + 1 - ${STATS_HISTORY}
      )
    from o
    where s.id = o.server_id and s.host_id = ${hostId} and s.vmid = o.vmid and s.status <> 'deleted'`);
}

/** The server's history ring since `since` (null: all of it), oldest first; null when the server does not exist. */
export async function serverStatsHistory(db: DbOrTx, serverId: string, since: Date | null): Promise<Record<string, unknown>[] | null> {
  const rows = await db.execute<{ items: Record<string, unknown>[] }>(sql`
    select coalesce((select jsonb_agg(e order by n) from jsonb_array_elements(coalesce(s.stats_history, '[]'::jsonb)) with ordinality as h(e, n)
      where ${since?.toISOString() ?? null}::timestamptz is null or (e->>'at')::timestamptz >= ${since?.toISOString() ?? null}::timestamptz), '[]'::jsonb) as items
    from servers s where s.id = ${serverId} and s.status <> 'deleted'`);
  return rows[0]?.items ?? null;
}

export interface HostStatsTotals {
  host_id: string;
  servers: number;
  cpu_percent: number;
  memory_bytes: number;
  players_online: number;
  disk_bytes: number;
}

/** Per host, the running servers' latest figures of the last 2 minutes, summed (the metrics' source: one row per host). */
export async function hostStatsTotals(db: DbOrTx): Promise<HostStatsTotals[]> {
  const rows = await db.execute<{ host_id: string; servers: number; cpu_percent: string | null; memory_bytes: string | null; players_online: string | null; disk_bytes: string | null }>(sql`
    select host_id::text, count(*)::int as servers, sum((stats->>'cpuPercent')::float8) as cpu_percent, sum((stats->>'memoryBytes')::int8) as memory_bytes,
      sum((stats->>'playersOnline')::int8) as players_online, sum((stats->>'diskBytes')::int8) as disk_bytes
    from servers
    where status = 'running' and host_id is not null and stats is not null and (stats->>'at')::timestamptz > now() - interval '2 minutes'
    group by host_id`);
  return rows.map((r) => ({ host_id: r.host_id, servers: r.servers, cpu_percent: Number(r.cpu_percent ?? 0), memory_bytes: Number(r.memory_bytes ?? 0),
    players_online: Number(r.players_online ?? 0),
    disk_bytes: Number(r.disk_bytes ?? 0),
  }));
}
