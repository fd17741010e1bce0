import { sql } from "drizzle-orm";
import type { ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";

/** A server with what the API needs of its host, to tell whether its state is current or stale. */
const WITH_HOST = sql.raw("s.*, h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at");

export async function getServer(db: DbOrTx, id: string): Promise<ServerRow | null> {
  const rows = await db.execute<ServerRow>(sql`select ${WITH_HOST} from servers s join hosts h on h.id = s.host_id where s.id = ${id}`);
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
    select ${WITH_HOST} from servers s join hosts h on h.id = s.host_id
    where (${f.customerId ?? null}::text is null or s.customer_id = ${f.customerId ?? null})
      and (${f.status ?? null}::text is null or s.status = ${f.status ?? null})
      and (${f.afterSeq ?? null}::bigint is null or s.seq > ${f.afterSeq ?? null}::bigint)
    order by s.seq
    limit ${f.limit + 1}`);
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}

/** Whether the server's container was ever provisioned (a provision succeeded): a failed server that never was needs one again, not a start. */
export async function wasProvisioned(db: DbOrTx, serverId: string): Promise<boolean> {
  const [row] = await db.execute<{ yes: boolean }>(
    sql`select exists (select 1 from operations where server_id = ${serverId} and kind = 'provision' and status = 'succeeded') as yes`,
  );
  return row!.yes;
}
