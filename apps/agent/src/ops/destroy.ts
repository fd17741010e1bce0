import { isRuntimeError } from "../runtime/runtime";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { assertOwnedBy } from "./identity";

/**
 * Where a container is destroyed. Idempotent: a container already gone is
 * success. Its marker must name this server (else `vmid_conflict`, nothing
 * touched); it is stopped (gracefully, then forced) and destroyed with purge.
 */
export async function destroy(ctx: OpContext): Promise<ResultData> {
  const { op, runtime, log } = ctx;
  const { vmid } = op.spec;
  const ct = await runtime.inspect(vmid);
  if (!ct) return { alreadyGone: true };
  assertOwnedBy(ct, op.serverId);
  if (ct.state === "running") {
    ensureLeaseHeld(ctx);
    try {
      await runtime.stop(vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running") && !isRuntimeError(err, "missing")) throw err;
    }
  }
  ensureLeaseHeld(ctx);
  try {
    await runtime.destroy(vmid);
  } catch (err) {
    if (isRuntimeError(err, "missing")) return { alreadyGone: true };
    throw err;
  }
  log.info({ vmid }, "container destroyed");
  return { alreadyGone: false };
}
