import { installGameLayer } from "../container/gameLayer";
import { placementResult, placeServer } from "../placement/placeServer";
import type { ContainerInfo } from "../runtime/runtime";
import { isRuntimeError } from "../runtime/runtime";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { ensureContainer, manifestOf } from "./ensureContainer";
import { gameEndedCheck } from "./gameEnded";
import { waitUntilAnswering } from "./readiness";
import { downloadProgress } from "./progress";
import { serverAddress } from "./serverAddress";

/**
 * Provision (a first install): the container made or adopted
 * (ensureContainer), the manifest's files and the game layer placed, the
 * container started, and done when the game proves it is ours (status ping
 * and RCON login). Idempotent: a repeat converges to the same files.
 */
export async function provision(ctx: OpContext): Promise<ResultData> {
  manifestOf(ctx);
  return install(ctx, await ensureContainer(ctx));
}

/** Places the files over the container `ct` and brings the game up: a provision's and a reinstall's last part. */
export async function install(ctx: OpContext, ct: ContainerInfo): Promise<ResultData> {
  const { op, runtime, log } = ctx;
  const vmid = op.spec.vmid;
  const manifest = manifestOf(ctx);
  ensureLeaseHeld(ctx);
  const placed = await runtime.withGuest(vmid, (guest) => placeServer(guest, op.spec, manifest, ctx.artifacts, { signal: ctx.signal, onFile: downloadProgress(ctx.progress) }), ctx.signal);
  log.info({ vmid, written: placed.written.length, kept: placed.kept.length, removed: placed.removed.length, preserved: placed.preserved.length }, "files placed");
  ctx.progress?.({ phase: "placing" });
  await installGameLayer(ctx, op.spec);
  if (ct.state !== "running") {
    ensureLeaseHeld(ctx);
    ctx.progress?.({ phase: "starting" });
    try {
      await runtime.start(vmid);
    } catch (err) {
      if (!isRuntimeError(err, "already_running")) throw err;
    }
  }
  const address = await serverAddress(ctx);
  ctx.progress?.({ phase: "waiting" });
  const status = await waitUntilAnswering(address, op.spec, ctx.readyTimeoutMs, op.spec.minecraftVersion, ctx.signal, gameEndedCheck(ctx));
  // The address it answered on: the control plane records it where it allocated none (DHCP, the sim).
  return { version: status.version.name, playersMax: status.players.max, ...placementResult(placed), address };
}
