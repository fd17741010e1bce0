import { allocatedAddress } from "@zlh/protocol";
import type { OpContext } from "./context";

/**
 * Where this server's game and RCON answer: the address the control plane
 * allocated (the database is the source of truth), or, on a host without a
 * static network (DHCP, the sim), the one the runtime observes.
 */
export async function serverAddress(ctx: Pick<OpContext, "op" | "runtime">): Promise<string> {
  return allocatedAddress(ctx.op.spec.network) ?? ctx.runtime.address(ctx.op.spec.vmid);
}
