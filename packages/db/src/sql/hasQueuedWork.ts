import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * Whether the host has any queued operation, in one read-only statement
 * (the partial index of queued operations by host). A superset of what
 * leaseNextOperations can take (it ignores backoffs and the session), so
 * "no" is always true and an ask it answers never hides work.
 */
export async function hasQueuedWork(db: DbOrTx, hostId: string): Promise<boolean> {
  const [row] = await db.execute<{ queued: boolean }>(sql`
    select exists (select 1 from operations where host_id = ${hostId} and status = 'queued') as queued`);
  return row!.queued;
}

/**
 * When the host's next queued operation in a retry backoff becomes leasable
 * (the earliest future not_before), or null: the moment to tell its agent
 * there is work, since nothing else happens then.
 */
export async function nextBackoffEnd(db: DbOrTx, hostId: string): Promise<Date | null> {
  const [row] = await db.execute<{ at: string | null }>(sql`
    select min(not_before)::text as at from operations where host_id = ${hostId} and status = 'queued' and not_before > now()`);
  return row?.at ? new Date(row.at) : null;
}
