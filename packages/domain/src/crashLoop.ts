/**
 * Self-heal of a server that should run and was found stopped, in the spirit
 * of Kubernetes' CrashLoopBackOff: the first crash is restarted at once, each
 * further crash in a row waits twice as long (10 s, 20 s, 40 s ... capped at
 * 5 min), and a server that stayed up 10 minutes since its last restart
 * starts a new streak. From the third crash in a row it is `crash_loop`
 * drift, so an operator sees it.
 */
export const CRASH_BACKOFF_INITIAL_MS = 10_000;
export const CRASH_BACKOFF_MAX_MS = 5 * 60_000;
export const CRASH_STREAK_RESET_MS = 10 * 60_000;
export const CRASH_LOOP_STREAK = 3;

/** The streak after a crash at `now`, given the previous streak and when the last heal restarted the server. */
export function nextCrashStreak(previous: number, lastHealAt: Date | null, now: Date): number {
  if (!lastHealAt || now.getTime() - lastHealAt.getTime() >= CRASH_STREAK_RESET_MS) return 1;
  return previous + 1;
}

/** How long self-heal waits before restarting a server on its `streak`-th crash in a row. */
export function crashBackoffMs(streak: number): number {
  if (streak <= 1) return 0;
  return Math.min(CRASH_BACKOFF_MAX_MS, CRASH_BACKOFF_INITIAL_MS * 2 ** (streak - 2));
}

/** Crash-looping: `CRASH_LOOP_STREAK` crashes in a row, the last one within the reset window. */
export function isCrashLooping(streak: number, lastCrashAt: Date | null, now: Date): boolean {
  return streak >= CRASH_LOOP_STREAK && lastCrashAt !== null && now.getTime() - lastCrashAt.getTime() < CRASH_STREAK_RESET_MS;
}
