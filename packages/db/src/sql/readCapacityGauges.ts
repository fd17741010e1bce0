import { sql } from "drizzle-orm";
import { SERVER_STATUSES } from "@zlh/domain";
import type { DbOrTx } from "../client";

export interface HostCapacity {
  host_id: string;
  host: string;
  memory_total_bytes: number;
  memory_used_bytes: number;
  cpu_total_cores: number;
  cpu_used_cores: number;
  disk_total_bytes: number;
  disk_used_bytes: number;
  servers_held: number;
}

export interface CapacityGauges {
  /** Every server status, 0 where no server has it (a rate over an absent series reads as no data, not as zero). */
  servers: { status: string; count: number }[];
  /** One row per enrolled host (not removed): its capacity and what its servers hold of it. */
  hosts: HostCapacity[];
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Servers by status and each enrolled host's capacity, in one statement for
 * a metrics scrape: the status counts group the servers table once; the
 * capacity is the hosts' own columns (allocated_* is what placement holds,
 * kept in the same transaction as the servers), and the servers a host holds
 * are the ones not deleted on it.
 */
export async function readCapacityGauges(db: DbOrTx): Promise<CapacityGauges> {
  const [row] = await db.execute<{ by_status: Record<string, number> | null; hosts: HostCapacity[] }>(sql`
    select
      (select json_object_agg(status, n) from (select status, count(*)::int as n from servers group by 1) s) as by_status,
      coalesce((select json_agg(json_build_object(
          'host_id', h.id, 'host', h.name,
          'memory_total_bytes', h.memory_mib::bigint * ${MIB}, 'memory_used_bytes', h.allocated_memory_mib::bigint * ${MIB},
          'cpu_total_cores', h.cpu_cores, 'cpu_used_cores', h.allocated_cpu_cores,
          'disk_total_bytes', h.disk_gib::bigint * ${GIB}, 'disk_used_bytes', h.allocated_disk_gib::bigint * ${GIB},
          'servers_held', (select count(*)::int from servers s where s.host_id = h.id and s.status <> 'deleted')
        ) order by h.name, h.id) from hosts h where h.revoked_at is null), '[]'::json) as hosts`);
  const byStatus = row!.by_status ?? {};
  return { servers: SERVER_STATUSES.map((status) => ({ status, count: byStatus[status] ?? 0 })), hosts: row!.hosts };
}
