// Copied from 2e9bd19:packages/db/src/sql/syncResourcePools.ts by refresh.sh; do not edit.
import { sql } from "drizzle-orm";
import type { IntRange } from "@zlh/domain";
import type { DbOrTx } from "../../../src/client";

/**
 * Makes sure every VMID of the configured range has a pool row. Idempotent;
 * rows outside the range are kept (they may be taken) and simply never
 * offered, because allocation filters by range. (Ports need no pool: they are
 * per host, chosen from ZLH_PORT_RANGE against `host_ports`.)
 */
export async function syncResourcePools(db: DbOrTx, vmids: IntRange): Promise<void> {
  await db.execute(sql`
    insert into vmid_pool (vmid)
    select generate_series(${vmids.first}::int, ${vmids.last}::int)
    on conflict do nothing`);
}
