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
