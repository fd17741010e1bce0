import type { OpContext } from "./context";

/**
 * Where this server's game and RCON answer: the runtime decides, from the
 * network the control plane allocated (the database is the source of truth
 * on a pct host) or, where none was, the address it gives or observes.
 */
export async function serverAddress(ctx: Pick<OpContext, "op" | "runtime">): Promise<string> {
  return ctx.runtime.address(ctx.op.spec.vmid, ctx.op.spec.network);
}
