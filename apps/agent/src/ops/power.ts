import { isRuntimeError } from "../runtime/runtime";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { assertOwnedBy } from "./identity";
import { OpFailure } from "./opFailure";
import { gameEndedCheck } from "./gameEnded";
import { waitUntilAnswering } from "./readiness";
import { serverAddress } from "./serverAddress";

async function ownedContainer(ctx: OpContext) {
  const ct = await ctx.runtime.inspect(ctx.op.spec.vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${ctx.op.spec.vmid} does not exist`, false);
  assertOwnedBy(ct, ctx.op.serverId);
  return ct;
}

/**
 * Start, idempotent: already running is fine; done when the status ping
 * answers. A running container whose game is dead (a crash the control
 * plane heals) gets its game unit started again, never a container restart:
 * its OS, and whatever else runs in it, are left as they are.
 */
export async function start(ctx: OpContext): Promise<ResultData> {
  const ct = await ownedContainer(ctx);
  const checkGameEnded = gameEndedCheck(ctx);
  if (ct.state !== "running") {
    ensureLeaseHeld(ctx);
    try {
      await ctx.runtime.start(ct.vmid);
    } catch (err) {
      if (!isRuntimeError(err, "already_running")) throw err;
    }
  } else if (ctx.runtime.bootsOs && ctx.runtime.observeGame && ctx.runtime.startGame) {
    const game = await ctx.runtime.observeGame(ct.vmid);
    if (game && !game.alive) {
      ensureLeaseHeld(ctx);
      ctx.log.info({ vmid: ct.vmid }, "container running, its game dead: starting the game unit");
      await ctx.runtime.startGame(ct.vmid, ctx.readyTimeoutMs);
    }
  }
  const address = await serverAddress(ctx);
  const status = await waitUntilAnswering(address, ctx.op.spec, ctx.readyTimeoutMs, undefined, ctx.signal, checkGameEnded);
  return { version: status.version.name, playersMax: status.players.max, address };
}

/** Stop, idempotent: already stopped is fine. */
export async function stop(ctx: OpContext): Promise<ResultData> {
  const ct = await ownedContainer(ctx);
  if (ct.state === "running") {
    ensureLeaseHeld(ctx);
    try {
      await ctx.runtime.stop(ct.vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running")) throw err;
    }
  }
  return {};
}

export async function restart(ctx: OpContext): Promise<ResultData> {
  await stop(ctx);
  return start(ctx);
}
