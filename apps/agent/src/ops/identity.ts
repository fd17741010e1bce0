import { markerFor, serverIdFromMarker } from "@zlh/protocol";
import type { ContainerInfo } from "../runtime/runtime";
import { OpFailure } from "./opFailure";

/**
 * Refuses to touch a container whose marker does not name this server: a VMID
 * held by someone else (or by nobody we know) is never modified or destroyed.
 */
export function assertOwnedBy(ct: ContainerInfo, serverId: string): void {
  const owner = serverIdFromMarker(ct.description);
  if (owner !== serverId) {
    throw new OpFailure(
      "vmid_conflict",
      `CT ${ct.vmid} is marked for ${owner ? `server ${owner}` : "no ZeroLagHub server"}, not ${serverId}; left untouched.`,
      false,
    );
  }
}

export { markerFor };
