import { setActor, type Db, type Tx } from "@zlh/db";

/** Runs `fn` in a transaction whose events record `clientName` as their actor (see setActor). */
export function asClient<T>(db: Db, clientName: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await setActor(tx, clientName);
    return fn(tx);
  });
}
