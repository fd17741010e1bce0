// Copied from 2e9bd19:packages/db/src/sql/takeVmids.ts by refresh.sh; do not edit.
import { sql } from "drizzle-orm";
import type { IntRange } from "@zlh/domain";
import type { DbOrTx } from "../../../src/client";
import { lockClause, type LockMode } from "./lockMode";

/** Takes up to `count` free VMIDs of `range` for `serverId`, lowest first, in one statement. */
export async function takeVmids(
  tx: DbOrTx,
  serverId: string,
  range: IntRange,
  count: number,
  mode: LockMode,
): Promise<number[]> {
  const rows = await tx.execute<{ vmid: number }>(sql`
    update vmid_pool p set state = 'taken', server_id = ${serverId}
    from (
      select vmid from vmid_pool
      where state = 'free' and vmid between ${range.first} and ${range.last}
      order by vmid limit ${count}
      ${lockClause(mode)}
    ) free
    where p.vmid = free.vmid
    returning p.vmid`);
  return rows.map((r) => r.vmid);
}
