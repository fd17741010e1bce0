// Copied from 2e9bd19:packages/db/src/sql/retryBackoff.ts by refresh.sh; do not edit.
import { sql, type SQL } from "drizzle-orm";

/**
 * When a requeued operation may be leased again: exponential in the attempts
 * it has used (1 s, 2 s, 4 s ... at most 60 s), with jitter (half to all of
 * it) so that the operations of one failing host do not all come back in the
 * same instant. A retry at once (five attempts in ~60 ms) gives a lock, a
 * busy node or a restarting service no time to clear.
 */
export const RETRY_BACKOFF_BASE_S = 1;
export const RETRY_BACKOFF_MAX_S = 60;

export function retryNotBefore(attempt: SQL): SQL {
  return sql`now() + least(${RETRY_BACKOFF_MAX_S}::float8, ${RETRY_BACKOFF_BASE_S}::float8 * power(2, greatest(${attempt}, 1) - 1)) * (0.5 + random() / 2) * interval '1 second'`;
}
