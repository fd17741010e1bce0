import type { ContainerInfo } from "../runtime/runtime";
import { isRuntimeError } from "../runtime/runtime";
import { ensureLeaseHeld, type OpContext } from "./context";
import { assertOwnedBy, markerFor } from "./identity";
import { OpFailure } from "./opFailure";

/**
 * The first step of every provision (an install, a reinstall, a change),
 * idempotent: continue from wherever an earlier attempt (ours or a previous
 * lease holder's) left the container. Create it if absent; if it exists, it
 * must carry this server's marker, else `vmid_conflict` and nothing is
 * touched. Never destroys anything: only an explicit destroy does that.
 */
export async function ensureContainer(ctx: OpContext): Promise<ContainerInfo> {
  const { op, runtime, log } = ctx;
  const { vmid } = op.spec;
  ctx.progress?.({ phase: "creating" });
  let ct = await runtime.inspect(vmid);
  if (!ct) {
    ensureLeaseHeld(ctx);
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
  return ct;
}

/** The manifest every provision carries (the control plane leases none without it). */
export function manifestOf(ctx: OpContext): NonNullable<OpContext["op"]["spec"]["manifest"]> {
  const manifest = ctx.op.spec.manifest;
  if (!manifest) throw new OpFailure("manifest_missing", "a provision operation must carry its manifest", false);
  return manifest;
}
