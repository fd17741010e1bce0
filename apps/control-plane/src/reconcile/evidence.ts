import { createHash } from "node:crypto";
import type { HostToReconcile } from "@zlh/db";
import type { ProxmoxGuest } from "./proxmox";
import type { Listing } from "./observe";

/**
 * What a host's evidence says, as one string: the agent's inventory digest
 * while the agent is connected (the digest it heartbeats with, so an
 * unchanged inventory costs nothing to compare) and a digest of Proxmox's
 * listing of the node. Two passes over equal evidence reach the same verdict
 * unless the database changed, so a host whose evidence equals what its last
 * settled pass judged is not judged again (reconcile/pass.ts).
 */
export function evidenceKey(host: Pick<HostToReconcile, "inventory_digest" | "inventory_at">, connected: boolean, proxmox: Listing<ProxmoxGuest> | null): string {
  // An inventory stored without a digest (an agent of before digests) cannot be compared: its time stands in, so it always differs.
  const agent = !connected || host.inventory_at === null ? "-" : (host.inventory_digest ?? `at ${host.inventory_at}`);
  return `agent ${agent} proxmox ${proxmox ? proxmoxDigest(proxmox.items) : "-"}`;
}

function proxmoxDigest(items: ProxmoxGuest[]): string {
  const canonical = [...items].sort((a, b) => a.vmid - b.vmid).map((g) => [g.vmid, g.state, g.serverId, g.markerUnknown === true]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url").slice(0, 22);
}
