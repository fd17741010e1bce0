import { sql, type SQL } from "drizzle-orm";
import { LIVE_OPERATION_STATUSES, READ_ONLY_KINDS } from "@zlh/domain";

/**
 * The domain's status and kind lists as SQL literals (`'queued', 'leased'`),
 * so statements say `status in (${liveOperation})` instead of repeating the
 * list. Literals, not parameters: Postgres matches a partial index's
 * predicate only against constants. The values are our own constants, never
 * input, so raw SQL is safe.
 */
export function inList(values: readonly string[]): SQL {
  for (const v of values) if (!/^[a-z_]+$/.test(v)) throw new Error(`not a status or kind name: ${JSON.stringify(v)}`);
  return sql.raw(values.map((v) => `'${v}'`).join(", "));
}

/** Operations still to be done or being done (operations.ts LIVE_OPERATION_STATUSES). */
export const liveOperation = inList(LIVE_OPERATION_STATUSES);

/** Kinds that change nothing (log reads): never counted as work in flight, never evented. */
export const readOnlyKind = inList(READ_ONLY_KINDS);
