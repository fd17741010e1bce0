import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * Names the API client acting in the current transaction: every event the
 * transaction writes records it (events.actor defaults to this setting), so
 * no statement can forget it. Transaction-local; must run inside one.
 */
export async function setActor(tx: DbOrTx, clientName: string): Promise<void> {
  await tx.execute(sql`select set_config('zlh.actor', ${clientName}, true)`);
}
