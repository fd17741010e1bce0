import { installGameLayer } from "../container/gameLayer";
import { clearForReinstall } from "../placement/clearForReinstall";
import { placeServer } from "../placement/placeServer";
import { applyChange } from "./applyChange";
import type { ContainerInfo } from "../runtime/runtime";
import { isRuntimeError } from "../runtime/runtime";
import { sideEffect, type OpContext, type OpOutcome } from "./context";
import { assertOwnedBy, markerFor } from "./identity";
import { OpFailure } from "./opFailure";
import { waitUntilAnswering } from "./readiness";
import { serverAddress } from "./serverAddress";

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
        ...(op.spec.network ? { network: op.spec.network } : {}),
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
  if (op.spec.reinstall) ct = await clearInstall(ctx, ct.state === "running", op.spec.reinstall.wipe);
  sideEffect(ctx);
  const placed = await runtime.withGuest(vmid, (guest) => placeServer(guest, op.spec, manifest, ctx.artifacts, { signal: ctx.signal }), ctx.signal);
  log.info({ vmid, written: placed.written.length, kept: placed.kept.length, removed: placed.removed.length }, "files placed");
  await installGameLayer(ctx, op.spec);
  if (ct.state !== "running") {
    sideEffect(ctx);
    try {
      await runtime.start(vmid);
    } catch (err) {
      if (!isRuntimeError(err, "already_running")) throw err;
    }
  }
  const address = await serverAddress(ctx);
  const status = await waitUntilAnswering(address, op.spec, ctx.readyTimeoutMs, op.spec.minecraftVersion, ctx.signal);
  // The address it answered on: the control plane records it where it allocated none (DHCP, the sim).
  return { version: status.version.name, playersMax: status.players.max, filesWritten: placed.written.length, address };
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
