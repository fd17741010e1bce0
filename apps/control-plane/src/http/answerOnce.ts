import { findKeyedAnswer, lockIdempotencyKey, recordKeyedAnswer, setActor, type Db, type Tx } from "@zlh/db";
import { IdempotencyKeyReusedError } from "@zlh/domain";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { requestHash } from "../servers/requestHash";

export interface Answered<T> {
  answer: T;
  replayed: boolean;
}

/**
 * A write whose effect leaves no record to find its Idempotency-Key on
 * (start, stop, restart; a schedule's create): the effect and its answer
 * are committed together under the key, serialised on it, so of N retries
 * or concurrent copies one acts and the others get its answer as it was
 * (a restart restarts once). The same key with another request (route,
 * server, body: `request`) is 422 idempotency_key_reused. Without a key the
 * effect just runs. The effect runs in a transaction whose actor is the client.
 */
export async function answerOnce<T>(
  db: Db,
  client: string,
  key: string | undefined,
  request: Record<string, unknown>,
  effect: (tx: Tx) => Promise<T>,
): Promise<Answered<T>> {
  const hash = requestHash(request);
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      await setActor(tx, client);
      if (key === undefined) return { answer: await effect(tx), replayed: false };
      await lockIdempotencyKey(tx, client, `answer:${key}`);
      const earlier = await findKeyedAnswer(tx, client, key);
      if (earlier) {
        if (earlier.request_hash !== hash) throw new IdempotencyKeyReusedError();
        return { answer: earlier.answer as T, replayed: true };
      }
      const answer = await effect(tx);
      await recordKeyedAnswer(tx, client, key, hash, answer);
      return { answer, replayed: false };
    }),
  );
}
