/**
 * Why a desired-running server was found down (the crash's `reason`, kept as
 * the server's last crash reason): its container stopped, its game died in a
 * running container, or the OOM killer killed the game (docs/game-liveness.md).
 */
export type CrashReason = "observed_stopped" | "game_exited" | "out_of_memory";

const HINTS: Partial<Record<CrashReason, string>> = {
  out_of_memory: "The game was killed for running out of its container's memory: raise the server's memoryMiB (its heap follows, at 80 % of it), or run fewer or lighter mods.",
};

/** What the customer can do about a crash of this reason, or null when there is nothing particular to say. */
export function crashHint(reason: string | null | undefined): string | null {
  return (reason && HINTS[reason as CrashReason]) || null;
}
