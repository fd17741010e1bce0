import { sql } from "drizzle-orm";
import type { IntRange } from "@zlh/domain";
import type { DbOrTx } from "../client";
import { lockClause, type LockMode } from "./lockMode";

/** Takes up to `count` free ports of `range` for `serverId`, lowest first, in one statement. */
export async function takePorts(
  tx: DbOrTx,
  serverId: string,
  range: IntRange,
  count: number,
  mode: LockMode,
): Promise<number[]> {
  const rows = await tx.execute<{ port: number }>(sql`
    update port_pool p set state = 'taken', server_id = ${serverId}
    from (
      select port from port_pool
      where state = 'free' and port between ${range.first} and ${range.last}
      order by port limit ${count}
      ${lockClause(mode)}
    ) free
    where p.port = free.port
    returning p.port`);
  return rows.map((r) => r.port).sort((a, b) => a - b);
}
