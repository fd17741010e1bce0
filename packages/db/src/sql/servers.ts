import { sql } from "drizzle-orm";
import type { ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { EventRow, ServerRow } from "../rows";

export async function getServer(db: DbOrTx, id: string): Promise<ServerRow | null> {
  const rows = await db.execute<ServerRow>(sql`select * from servers where id = ${id}`);
  return rows[0] ?? null;
}

export interface ServerFilter {
  customerId?: string;
  status?: ServerStatus;
  /** Keyset: only servers created after the one with this `seq`. */
  afterSeq?: string;
  limit: number;
}

/** One page in creation order, plus whether another page follows. */
export async function listServers(db: DbOrTx, f: ServerFilter): Promise<{ rows: ServerRow[]; more: boolean }> {
  const rows = await db.execute<ServerRow>(sql`
    select * from servers
    where (${f.customerId ?? null}::text is null or customer_id = ${f.customerId ?? null})
      and (${f.status ?? null}::text is null or status = ${f.status ?? null})
      and (${f.afterSeq ?? null}::bigint is null or seq > ${f.afterSeq ?? null}::bigint)
    order by seq
    limit ${f.limit + 1}`);
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}

export async function listServerEvents(db: DbOrTx, serverId: string): Promise<EventRow[]> {
  return db.execute<EventRow>(sql`select * from events where server_id = ${serverId} order by id`);
}
