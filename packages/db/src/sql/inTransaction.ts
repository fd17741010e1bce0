import { PgTransaction } from "drizzle-orm/pg-core";
import type { DbOrTx, Tx } from "../client";

/**
 * Runs `fn` in the caller's transaction, or in a new one when given the
 * database: for work that takes a lock in one statement and relies on it in
 * the next (an autocommitted statement would let the lock go at once).
 */
export async function inTransaction<T>(db: DbOrTx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (db instanceof PgTransaction) return fn(db as Tx);
  return db.transaction(fn);
}
