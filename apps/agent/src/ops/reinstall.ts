import { clearForReinstall } from "../placement/clearForReinstall";
import { isRuntimeError } from "../runtime/runtime";
import { ensureLeaseHeld, type OpContext, type ResultData } from "./context";
import { ensureContainer, manifestOf } from "./ensureContainer";
import { OpFailure } from "./opFailure";
import { install } from "./provision";

/**
 * A reinstall (a provision carrying `spec.reinstall`): the server stopped
 * (gracefully, as a stop would) and the platform's files removed (with
 * `wipe`, everything), then installed as a first provision is, so that every
 * file is written anew. Safe to repeat after a lost lease.
 */
export async function reinstall(ctx: OpContext): Promise<ResultData> {
  const { op, runtime, log } = ctx;
  const vmid = op.spec.vmid;
  const wipe = op.spec.reinstall?.wipe ?? false;
  manifestOf(ctx);
  const before = await ensureContainer(ctx);
  if (before.state === "running") {
    ensureLeaseHeld(ctx);
    try {
      await runtime.stop(vmid, ctx.stopTimeoutMs);
    } catch (err) {
      if (!isRuntimeError(err, "not_running")) throw err;
    }
  }
  ensureLeaseHeld(ctx);
  const removed = await runtime.withGuest(vmid, (guest) => clearForReinstall(guest, wipe), ctx.signal);
  log.info({ vmid, removed, wipe }, "cleared for reinstall");
  const ct = await runtime.inspect(vmid);
  if (!ct) throw new OpFailure("container_missing", `CT ${vmid} disappeared during the reinstall`, true);
  return install(ctx, ct);
}
