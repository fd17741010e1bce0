import { recognizeCrash } from "@zlh/domain";
import type { CrashEvidence } from "@zlh/protocol";
import { readCrashEvidence } from "../container/crashEvidence";
import { readGameExit } from "../container/gameExit";
import type { OpContext } from "./context";
import { OpFailure } from "./opFailure";

/**
 * While the game unit has never been seen on the host, its exit record is looked for (each look enters the
 * container's files: a boundary worker) first this long after the start, then twice as long after each look,
 * up to EXIT_RECORD_MAX_EVERY_MS: a container booting for minutes costs a few dozen looks, not one a second.
 */
export const EXIT_RECORD_EVERY_MS = 1000;
export const EXIT_RECORD_MAX_EVERY_MS = 8000;

/**
 * For the readiness wait (readiness.ts): a check that throws `game_exited`,
 * carrying the crash evidence and what readiness last saw, once the game this operation started has
 * ended before it answered, so a game that refuses at once is reported at
 * once, not after the whole ZLH_READY_TIMEOUT_MS (docs/game-liveness.md).
 *
 * On the sim the container is its game: ended when the container stopped.
 * On an OS-booting runtime (lxc, pct) the container stays running when the
 * game dies, so the game unit decides, and a unit systemd has not started yet
 * (the container still booting) is NOT ended: only a unit seen alive and then
 * dead, one whose cgroup was seen and then removed (systemd creates it at the
 * unit's start and removes it after its stop), or one whose exit record
 * (written by its ExecStopPost, removed by its ExecStartPre, in the
 * container's /run: this boot's) says it stopped. The host's cgroup reads are
 * cheap and made on every check; only a unit never seen at all (not started,
 * or it lived and died between two checks) needs its exit record, looked for
 * at most once per EXIT_RECORD_EVERY_MS and ever more rarely (`now`: the clock, for tests).
 */
export function gameEndedCheck(ctx: OpContext, now: () => number = Date.now): (lastSeen: string) => Promise<void> {
  const { runtime } = ctx;
  const vmid = ctx.op.spec.vmid;
  let seenAlive = false;
  let seenUnit = false;
  let exitEvery = EXIT_RECORD_EVERY_MS;
  let nextExitLook = now() + exitEvery;
  const containerStopped = async () => (await runtime.inspect(vmid))?.state !== "running";
  const ended = async (): Promise<boolean> => {
    if (!runtime.bootsOs || !runtime.observeGame) return containerStopped();
    const seen = await runtime.observeGame(vmid);
    if (seen === null) return containerStopped();
    if (seen.alive) {
      seenAlive = true;
      return false;
    }
    if (seenAlive) return true;
    if (seen.exists) {
      // Started, and not populated yet (or stopping): a later check sees it alive, or its cgroup gone.
      seenUnit = true;
      return false;
    }
    if (seenUnit) return true;
    // Never seen: not started yet, or it lived and died between two checks; its exit record tells which.
    if (now() < nextExitLook) return false;
    exitEvery = Math.min(exitEvery * 2, EXIT_RECORD_MAX_EVERY_MS);
    nextExitLook = now() + exitEvery;
    const exit = await runtime.withGuest(vmid, (guest) => readGameExit(guest), AbortSignal.timeout(5000)).catch(() => null);
    return exit !== null;
  };
  return async (lastSeen) => {
    if (await ended()) throw await gameExited(ctx, lastSeen);
  };
}

/** The failure of a game that ended while starting: not retryable at once (it would end the same), with why it ended. */
async function gameExited(ctx: OpContext, lastSeen: string): Promise<OpFailure> {
  const { runtime } = ctx;
  const vmid = ctx.op.spec.vmid;
  // Bounded: the container is its customer's, and may be made slow to enter.
  const crash: CrashEvidence | null = await runtime
    .withGuest(vmid, async (guest) => readCrashEvidence(guest, runtime.bootsOs ? await readGameExit(guest).catch(() => null) : null), AbortSignal.timeout(10_000))
    .catch(() => null);
  const { cause, summary } = recognizeCrash("game_exited", crash);
  ctx.log.warn({ vmid, cause, summary, exit: crash?.exit }, "the game ended before it answered");
  const why = summary ? `${cause}: ${summary}` : cause;
  return new OpFailure("game_exited", `the game ended before it answered (${why}; last seen: ${lastSeen}); see lastCrash for its log and stderr`, false, crash ? { crash } : {});
}
