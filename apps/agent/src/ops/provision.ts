import { installGameLayer } from "../container/gameLayer";
import { clearForReinstall } from "../placement/clearForReinstall";
import { applyChange } from "./applyChange";
import { placeRemovingAbandoned } from "./changeFiles";
import { abandonedManifests, clearAbandoned } from "./changeJournal";
import type { ContainerInfo } from "../runtime/runtime";
import { isRuntimeError } from "../runtime/runtime";
import { sideEffect, type OpContext, type OpOutcome } from "./context";
import { assertOwnedBy, markerFor } from "./identity";
import { OpFailure } from "./opFailure";
import { waitUntilAnswering } from "./readiness";

/**
 * Provision, idempotent: continue from wherever an earlier attempt (ours or a
 * previous lease holder's) left the container. Create it if absent; if it
 * exists, it must carry this server's marker, else `vmid_conflict` and
 * nothing is touched. Then place files, start, and wait for the status ping.
 * Never destroys anything on failure: only an explicit destroy does that.
 */
export async function provision(ctx: OpContext): Promise<OpOutcome> {
  const { op, runtime, log } = ctx;
  const { vmid, manifest } = op.spec;
  if (!manifest) throw new OpFailure("manifest_missing", "a provision operation must carry its manifest", false);
  let ct = await runtime.inspect(vmid);
  if (!ct) {
    sideEffect(ctx);
    let createError: unknown = null;
    try {
      await runtime.create({
        vmid,
        hostname: op.spec.hostname,
        memoryMiB: op.spec.memoryMiB,
        cpuCores: op.spec.cpuCores,
        diskGiB: op.spec.diskGiB,
        description: markerFor(op.serverId),
      });
      log.info({ vmid }, "container created");
    } catch (err) {
      // An earlier create may have won, or a lock timeout may hide a create
      // that went through: re-check what is really there; the marker decides.
      if (!isRuntimeError(err, "exists") && !isRuntimeError(err, "locked")) throw err;
      createError = err;
      log.warn({ vmid, err: (err as Error).message }, "create refused; re-checking the container");
    }
    ct = await runtime.inspect(vmid);
    if (!ct) {
      // "VM <n> already exists on node 'x'" / "CT <n> already exists on node 'y'": the VMID is a VM, or a
      // container on another node. Retrying cannot help; an operator must free the VMID.
      if (isRuntimeError(createError, "exists")) throw new OpFailure("vmid_conflict", `VMID ${vmid} is taken elsewhere in the cluster: ${(createError as Error).message}`, false);
      throw new OpFailure("create_failed", `CT ${vmid} does not exist after create`, true);
    }
  }
  assertOwnedBy(ct, op.serverId);
  if (op.spec.change) return applyChange(ctx, ct.state === "running", op.spec.change);
  // A change abandoned part-way (superseded before an attempt could finish it) may have left files in no record.
  const abandoned = await abandonedManifests(ctx.changesDir, vmid, op.serverId, [manifest]);
  if (op.spec.reinstall) ct = await clearInstall(ctx, ct.state === "running", op.spec.reinstall.wipe);
  sideEffect(ctx);
  const placed = await runtime.withGuest(
    vmid,
    (guest) => placeRemovingAbandoned(guest, op.spec, manifest, abandoned, ctx.artifacts, { signal: ctx.signal }, log),
    ctx.signal,
  );
  await clearAbandoned(ctx.changesDir, vmid);
  log.info({ vmid, written: placed.written.length, kept: placed.kept.length, removed: placed.removed.length, abandoned: abandoned.length }, "files placed");
  await installGameLayer(ctx, op.spec);
  if (ct.state !== "running") {
    sideEffect(ctx);
    try {
      await runtime.start(vmid);
    } catch (err) {
      if (!isRuntimeError(err, "already_running")) throw err;
    }
  }
  const status = await waitUntilAnswering(await runtime.address(vmid), op.spec, ctx.readyTimeoutMs, op.spec.minecraftVersion, ctx.signal);
  return { version: status.version.name, playersMax: status.players.max, filesWritten: placed.written.length };
}

/**
 * A reinstall's first step: the server stopped (gracefully, as a stop would)
 * and the platform's files removed (with `wipe`, everything), so that
 * placement then writes every file anew. Safe to repeat after a lost lease.
 */
async function clearInstall(ctx: OpContext, running: boolean, wipe: boolean): Promise<ContainerInfo> {
  const { op, runtime, log } = ctx;
  const vmid = op.spec.vmid;
  if (running) {
    sideEffect(ctx);
    try {
      await runtime.stop(vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running")) throw err;
    }
  }
  sideEffect(ctx);
  const removed = await runtime.withGuest(vmid, (guest) => clearForReinstall(guest, wipe), ctx.signal);
  log.info({ vmid, removed, wipe }, "cleared for reinstall");
  const ct = await runtime.inspect(vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${vmid} disappeared during the reinstall`, true);
  return ct;
}
