import { findKeyedTask, lockIdempotencyKey, type TaskKey, type Tx } from "@zlh/db";
import { IdempotencyKeyReusedError } from "@zlh/domain";
import { requestHash } from "./requestHash";

/** A task request's Idempotency-Key with the fingerprint of its request (route, server, body); null without a key. */
export function taskKey(client: string, key: string | undefined, request: Record<string, unknown>): TaskKey | null {
  return key === undefined ? null : { client, key, requestHash: requestHash(request) };
}

/**
 * The task operation (a backup, restore or console command) this key
 * already queued on the server, when the request is the same; a reused key
 * with another request is 422. Holds the key's lock for the rest of the
 * transaction, so of concurrent retries one queues and the others find it.
 */
export async function replayTask(tx: Tx, serverId: string, keyed: TaskKey | null, kind: "backup" | "restore" | "command") {
  if (!keyed) return null;
  await lockIdempotencyKey(tx, keyed.client, `task:${keyed.key}`);
  const earlier = await findKeyedTask(tx, serverId, keyed.client, keyed.key);
  if (earlier && (earlier.request_hash !== keyed.requestHash || earlier.kind !== kind)) throw new IdempotencyKeyReusedError();
  return earlier;
}
