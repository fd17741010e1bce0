import type { OperationSpec } from "@zlh/protocol";
import { placementResult, placeServer } from "../placement/placeServer";
import { installGameLayer } from "../container/gameLayer";
import { LeaseLost } from "../leases";
import { isRuntimeError, type Resources } from "../runtime/runtime";
import { prefetchManifest } from "./changeFiles";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { ensureContainer, manifestOf } from "./ensureContainer";
import { OpFailure } from "./opFailure";
import { gameEndedCheck } from "./gameEnded";
import { waitUntilAnswering } from "./readiness";
import { downloadProgress } from "./progress";
import { serverAddress } from "./serverAddress";

type Change = NonNullable<OperationSpec["change"]>;

/** A change (a provision carrying `spec.change`): applied over the server's container (applyChange). */
export async function change(ctx: OpContext): Promise<ResultData> {
  manifestOf(ctx);
  const ct = await ensureContainer(ctx);
  return applyChange(ctx, ct.state === "running", ctx.op.spec.change!);
}

/**
 * Applies a change to a provisioned server, with automatic rollback. First
 * every file of both manifests is fetched into the host's cache: if that
 * fails, nothing is touched (a running server keeps running) and the change
 * is rolled back. Then: stop it, set its memory and cores and grow its disk,
 * converge its files to the new manifest (platform files replaced, removed
 * mods removed, the world and the customer's files untouched), start it and
 * wait for the status ping. Whatever fails in there (a resize, a path the
 * customer made unsafe, a write, the server not coming up) puts back what it
 * had: the previous manifest (every file placed of the new one removed: the
 * placement record lists each before it is written) and properties, memory
 * and cores (a grown disk stays grown), starts it if it is wanted running,
 * and reports success with
 * `rolledBack` and the reason (and, where the change's game ended before it answered, `failedWith:
 * game_exited` and its `crash`, which the control plane records); the control plane then restores the settings. Only if the
 * rollback fails too does the operation fail. A server wanted stopped that
 * took the change is left stopped: nothing can be verified. A lost lease
 * stops everything at once; the next attempt of the operation starts over
 * and ends in one manifest or the other; if none runs again (the change was
 * superseded), the next placement, whatever it is, removes what it left,
 * as the record lists it.
 */
export async function applyChange(ctx: OpContext, running: boolean, change: Change): Promise<ResultData> {
  const spec = ctx.op.spec;
  try {
    await prefetchManifest(ctx.artifacts, spec.manifest!, ctx.signal);
    await prefetchManifest(ctx.artifacts, change.previous.manifest, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const reason = `the change's files could not be fetched: ${(err as Error).message}`;
    // Still as it was; a stopped server may hold what an earlier attempt left, and is wanted as before.
    if (running) return untouched(ctx, reason);
    return rollBack(ctx, change, reason);
  }
  // A stop that fails changed nothing: the operation fails (and is retried) as before.
  if (running) await stopQuietly(ctx);
  try {
    const placed = await applyResourcesAndFiles(ctx, spec, { memoryMiB: spec.memoryMiB, cpuCores: spec.cpuCores, diskGiB: spec.diskGiB });
    let outcome: ResultData = { applied: true, started: false, ...placed };
    if (change.start) {
      const status = await startAndWait(ctx, spec.minecraftVersion);
      outcome = { applied: true, version: status.version.name, playersMax: status.players.max, ...placed };
    }
    return outcome;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    return rollBack(ctx, change, (err as Error).message, endedGame(err));
  }
}

/**
 * What a change's failure tells the control plane beside its reason: a game that ended before it
 * answered (`game_exited`) is a crash it records, with the evidence read (the failure's `crash`).
 */
function endedGame(err: unknown): ResultData {
  return err instanceof OpFailure && err.code === "game_exited" ? { failedWith: err.code, ...err.data } : {};
}

function untouched(ctx: OpContext, reason: string): ResultData {
  ctx.log.warn({ vmid: ctx.op.spec.vmid, reason }, "change not applied; the server was not touched");
  return { rolledBack: true, reason, untouched: true };
}

/**
 * Back to `change.previous`; its placement removes whatever the record lists and it does not want.
 * `ended` (endedGame) goes into the result, or the failure's data if the rollback fails, where the
 * rollback's own start's ended game, the later crash, replaces it.
 */
async function rollBack(ctx: OpContext, change: Change, reason: string, ended: ResultData = {}): Promise<ResultData> {
  const { op, runtime, log } = ctx;
  const spec = op.spec;
  const previous = change.previous;
  log.warn({ vmid: spec.vmid, reason }, "change failed; rolling back");
  try {
    await stopQuietly(ctx);
    ensureLeaseHeld(ctx);
    const resources = { memoryMiB: previous.memoryMiB, cpuCores: previous.cpuCores, diskGiB: Math.max(previous.diskGiB, spec.diskGiB) };
    await runtime.resize(spec.vmid, resources);
    ensureLeaseHeld(ctx);
    const previousSpec: OperationSpec = { ...spec, serverProperties: previous.serverProperties, manifest: previous.manifest };
    const back = await runtime.withGuest(spec.vmid, (guest) => placeServer(guest, previousSpec, previous.manifest, ctx.artifacts, { signal: ctx.signal }), ctx.signal);
    log.info({ vmid: spec.vmid, written: back.written.length, removed: back.removed.length, ...resources }, "previous manifest placed back");
    await installGameLayer(ctx, { minecraftVersion: previous.manifest.game, manifest: previous.manifest });
    if (!change.start) return { rolledBack: true, reason, started: false, ...ended };
    const status = await startAndWait(ctx, previous.manifest.game);
    log.info({ vmid: spec.vmid }, "change rolled back; the server runs as before");
    return { rolledBack: true, reason, version: status.version.name, ...ended };
  } catch (rollbackErr) {
    // A lease lost mid-rollback is the new holder's to redo, as anywhere else.
    if (ctx.signal.aborted || rollbackErr instanceof LeaseLost) throw rollbackErr;
    const rollbackEnded = endedGame(rollbackErr);
    const data = Object.keys(rollbackEnded).length > 0 ? rollbackEnded : ended;
    // A rollback stopped by a runtime lock that outlived the runtime's own retries is retryable, as such a lock
    // is everywhere else: the next attempt applies the change again and rolls it back. Final, it left the
    // host with the failed change's files while the database holds the previous manifest, and a later start
    // ran them (a crash loop on mods the server was never meant to have).
    const transient = isRuntimeError(rollbackErr, "locked");
    throw new OpFailure("rollback_failed", `the change failed (${reason}), and so did the rollback: ${(rollbackErr as Error).message}`, transient, Object.keys(data).length > 0 ? data : undefined);
  }
}

async function stopQuietly(ctx: OpContext): Promise<void> {
  ensureLeaseHeld(ctx);
  try {
    await ctx.runtime.stop(ctx.op.spec.vmid, ctx.stopTimeoutMs);
  } catch (err) {
    if (!isRuntimeError(err, "not_running")) throw err;
  }
}

/** Resources and files to what the change's spec says; returns what the result says of the placement (placementResult). */
async function applyResourcesAndFiles(ctx: OpContext, spec: OperationSpec, resources: Resources): Promise<ReturnType<typeof placementResult>> {
  const { runtime, log } = ctx;
  ensureLeaseHeld(ctx);
  await runtime.resize(spec.vmid, resources);
  ensureLeaseHeld(ctx);
  const placed = await runtime.withGuest(spec.vmid, (guest) => placeServer(guest, spec, spec.manifest!, ctx.artifacts, { signal: ctx.signal, onFile: downloadProgress(ctx.progress) }), ctx.signal);
  log.info({ vmid: spec.vmid, written: placed.written.length, removed: placed.removed.length, preserved: placed.preserved.length, ...resources }, "change placed");
  ctx.progress?.({ phase: "placing" });
  await installGameLayer(ctx, spec);
  return placementResult(placed);
}

async function startAndWait(ctx: OpContext, version: string) {
  const { runtime, op } = ctx;
  ensureLeaseHeld(ctx);
  ctx.progress?.({ phase: "starting" });
  await runtime.start(op.spec.vmid);
  const checkGameEnded = gameEndedCheck(ctx);
  ctx.progress?.({ phase: "waiting" });
  return waitUntilAnswering(await serverAddress(ctx), op.spec, ctx.readyTimeoutMs, version, ctx.signal, checkGameEnded);
}
