import { sql } from "drizzle-orm";
import type { IntRange } from "@zlh/domain";
import type { DbOrTx } from "../client";

/**
 * Makes sure every VMID and port of the configured ranges has a pool row.
 * Idempotent; rows outside the ranges are kept (they may be taken) and simply
 * never offered, because allocation filters by range.
 */
export async function syncResourcePools(db: DbOrTx, vmids: IntRange, ports: IntRange): Promise<void> {
  await db.execute(sql`
    insert into vmid_pool (vmid)
    select generate_series(${vmids.first}::int, ${vmids.last}::int)
    on conflict do nothing`);
  await db.execute(sql`
    insert into port_pool (port)
    select generate_series(${ports.first}::int, ${ports.last}::int)
    on conflict do nothing`);
}
