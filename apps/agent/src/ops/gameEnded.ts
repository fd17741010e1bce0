import { recognizeCrash } from "@zlh/domain";
import type { CrashEvidence } from "@zlh/protocol";
import { readCrashEvidence } from "../container/crashEvidence";
import { readGameExit } from "../container/gameExit";
import type { OpContext } from "./context";
import { OpFailure } from "./opFailure";

/** How often, while the game unit has never been seen alive, its exit record is looked for (each look enters the container's files). */
const EXIT_RECORD_EVERY_MS = 1000;

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
 * dead, or one whose exit record (written by its ExecStopPost, removed by its
 * ExecStartPre, in the container's /run: this boot's) says it stopped.
 */
export function gameEndedCheck(ctx: OpContext): (lastSeen: string) => Promise<void> {
  const { runtime } = ctx;
  const vmid = ctx.op.spec.vmid;
  let seenAlive = false;
  let lookedForExit = 0;
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
    // Never seen alive: not started yet, or it lived and died between two looks; its exit record tells which.
    if (Date.now() - lookedForExit < EXIT_RECORD_EVERY_MS) return false;
    lookedForExit = Date.now();
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
