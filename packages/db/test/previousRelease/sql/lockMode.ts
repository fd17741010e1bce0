// Copied from 2e9bd19:packages/db/src/sql/lockMode.ts by refresh.sh; do not edit.
import { sql, type SQL } from "drizzle-orm";

/**
 * How an allocation query treats rows that a concurrent transaction holds.
 * `skip` is the fast path (`FOR UPDATE SKIP LOCKED`: no waiting, no
 * contention). `wait` is the fallback once `skip` found nothing: it blocks on
 * the locked rows and takes one that its holder gives back (rolled back), so
 * that "exhausted" is only said when nothing is free, not when everything
 * free happens to be locked for a moment.
 */
export type LockMode = "skip" | "wait";

export function lockClause(mode: LockMode): SQL {
  return mode === "skip" ? sql.raw("for update skip locked") : sql.raw("for update");
}

/** Runs an allocation with `skip`, then with `wait` for what is still missing. */
export async function withContentionFallback<T>(
  want: number,
  take: (mode: LockMode, count: number) => Promise<T[]>,
): Promise<T[]> {
  const got = await take("skip", want);
  if (got.length >= want) return got;
  return got.concat(await take("wait", want - got.length));
}
