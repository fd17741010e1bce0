import { getOperation, type Db, type OperationRow } from "@zlh/db";

/**
 * The operation once it has ended (succeeded, failed or cancelled), or null
 * after `timeoutMs`. Polls its row (a primary-key read every 25 ms): the
 * result may be applied by whichever control-plane process holds the
 * agent's session, so the database is where it shows.
 */
export async function waitForOperation(db: Db, opId: string, timeoutMs: number): Promise<OperationRow | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const op = await getOperation(db, opId);
    if (op && (op.status === "succeeded" || op.status === "failed" || op.status === "cancelled")) return op;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 25));
  }
}
