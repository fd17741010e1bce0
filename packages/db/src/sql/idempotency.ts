import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";

/**
 * Serialises requests that carry the same (caller, Idempotency-Key) for the
 * rest of the transaction, so that of N concurrent identical requests one
 * creates and the others then find its row. A hash collision only makes two
 * unrelated keys wait for each other; the unique index
 * `servers_caller_idempotency_key` remains the guarantee.
 */
export async function lockIdempotencyKey(tx: DbOrTx, callerId: string, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${callerId} || ':' || ${key}, 0))`);
}

export async function findServerByIdempotencyKey(
  tx: DbOrTx,
  callerId: string,
  key: string,
): Promise<ServerRow | null> {
  const rows = await tx.execute<ServerRow>(
    sql`select s.*, h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at
      from servers s join hosts h on h.id = s.host_id
      where s.caller_id = ${callerId} and s.idempotency_key = ${key}`,
  );
  return rows[0] ?? null;
}
