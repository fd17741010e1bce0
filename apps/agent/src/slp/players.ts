/** The most players a status reply may claim: beyond it the reply is not honest (the server is the customer's). */
export const MAX_PLAYERS = 1_000_000;

export interface Players {
  online: number;
  max: number;
}

const count = (v: unknown): number | null => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= MAX_PLAYERS ? v : null);

/**
 * `players.online` and `players.max` of a status reply's JSON, which the
 * customer's server wrote: both must be integers in 0..MAX_PLAYERS, and
 * online at most max; anything else (strings, floats, negatives, huge
 * numbers, a missing or non-object `players`) is no figure at all: null.
 */
export function playersOf(status: unknown): Players | null {
  if (typeof status !== "object" || status === null) return null;
  const players = (status as { players?: unknown }).players;
  if (typeof players !== "object" || players === null || Array.isArray(players)) return null;
  const online = count((players as { online?: unknown }).online);
  const max = count((players as { max?: unknown }).max);
  if (online === null || max === null || online > max) return null;
  return { online, max };
}
