import type { Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { placeServer } from "../placement/placeServer";
import { isRuntimeError, type Resources } from "../runtime/runtime";
import { sideEffect, type OpContext, type OpOutcome } from "./context";
import { OpFailure } from "./opFailure";
import { waitUntilAnswering } from "./readiness";

type Change = NonNullable<OperationSpec["change"]>;

/**
 * Applies a change to a provisioned server, with automatic rollback: stop
 * it, set its memory and cores and grow its disk, converge its files to the
 * new manifest (platform files replaced, removed mods removed, the world and
 * the customer's files untouched), start it and wait for the status ping. If
 * it does not come up (it exits, or does not answer in time), put back what
 * it had: the previous manifest and properties, memory and cores (a grown
 * disk stays grown), start it, and report success with `rolledBack` and the
 * reason; the control plane then restores the settings. Only if the rollback
 * fails too does the operation fail. A server wanted stopped is changed and
 * left stopped: nothing can be verified, so nothing rolls back.
 */
export async function applyChange(ctx: OpContext, running: boolean, change: Change): Promise<OpOutcome> {
  const { op } = ctx;
  const spec = op.spec;
  if (running) await stopQuietly(ctx);
  const written = await converge(ctx, spec, spec.manifest!, { memoryMiB: spec.memoryMiB, cpuCores: spec.cpuCores, diskGiB: spec.diskGiB });
  if (!change.start) return { applied: true, started: false, filesWritten: written };
  try {
    const status = await startAndWait(ctx, spec.minecraftVersion);
    return { applied: true, version: status.version.name, playersMax: status.players.max, filesWritten: written };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const reason = (err as Error).message;
    ctx.log.warn({ vmid: spec.vmid, reason }, "change did not come up; rolling back");
    const previous = change.previous;
    try {
      await stopQuietly(ctx);
      const previousSpec: OperationSpec = { ...spec, serverProperties: previous.serverProperties, manifest: previous.manifest };
      await converge(ctx, previousSpec, previous.manifest, { memoryMiB: previous.memoryMiB, cpuCores: previous.cpuCores, diskGiB: Math.max(previous.diskGiB, spec.diskGiB) });
      const status = await startAndWait(ctx, previous.manifest.game);
      ctx.log.info({ vmid: spec.vmid }, "change rolled back; the server runs as before");
      return { rolledBack: true, reason, version: status.version.name };
    } catch (rollbackErr) {
      if (ctx.signal.aborted) throw rollbackErr;
      throw new OpFailure("rollback_failed", `the change did not come up (${reason}), and neither did the rollback: ${(rollbackErr as Error).message}`, false);
    }
  }
}

async function stopQuietly(ctx: OpContext): Promise<void> {
  sideEffect(ctx);
  try {
    await ctx.runtime.stop(ctx.op.spec.vmid, ctx.stopTimeoutMs);
  } catch (err) {
    if (!isRuntimeError(err, "not_running")) throw err;
  }
}

/** Resources and files to what `spec` and `manifest` say; returns how many files were written. */
async function converge(ctx: OpContext, spec: OperationSpec, manifest: Manifest, resources: Resources): Promise<number> {
  const { runtime, log } = ctx;
  sideEffect(ctx);
  await runtime.resize(spec.vmid, resources);
  sideEffect(ctx);
  const placed = await runtime.withGuest(spec.vmid, (guest) => placeServer(guest, spec, manifest, ctx.artifacts, { signal: ctx.signal }), ctx.signal);
  log.info({ vmid: spec.vmid, written: placed.written.length, removed: placed.removed.length, ...resources }, "change placed");
  return placed.written.length;
}

async function startAndWait(ctx: OpContext, version: string) {
  const { runtime, op } = ctx;
  sideEffect(ctx);
  await runtime.start(op.spec.vmid);
  const alive = async () => (await runtime.inspect(op.spec.vmid))?.state === "running";
  return waitUntilAnswering(await runtime.address(op.spec.vmid), op.spec.gamePort, ctx.readyTimeoutMs, version, ctx.signal, alive);
}
