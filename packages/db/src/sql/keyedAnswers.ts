import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export type KeyedAnswer = {
  request_hash: string;
  answer: unknown;
};

/** The answer a client's keyed request got first (the caller holds lockIdempotencyKey on the key). */
export async function findKeyedAnswer(tx: DbOrTx, client: string, key: string): Promise<KeyedAnswer | null> {
  const [row] = await tx.execute<KeyedAnswer>(sql`
    select request_hash, answer from keyed_answers where client_name = ${client} and idempotency_key = ${key}`);
  return row ?? null;
}

/** Records a keyed request's answer in the transaction of its effect: both or neither. */
export async function recordKeyedAnswer(tx: DbOrTx, client: string, key: string, requestHash: string, answer: unknown): Promise<void> {
  await tx.execute(sql`
    insert into keyed_answers (client_name, idempotency_key, request_hash, answer)
    values (${client}, ${key}, ${requestHash}, ${JSON.stringify(answer)}::jsonb)`);
}
