import { createHash } from "node:crypto";
import type { InventoryItem } from "./messages";

/**
 * The digest of a host's inventory, the same on both ends: sha256 of its
 * canonical form (sorted by VMID, fixed field order). A heartbeat carries
 * it instead of the list while the list has not changed.
 */
export function inventoryDigest(inventory: readonly InventoryItem[]): string {
  // The game's liveness only where reported, so an inventory without it digests as it always did.
  const canonical = [...inventory].sort((a, b) => a.vmid - b.vmid).map((c) => (c.game === undefined ? [c.vmid, c.state, c.serverId] : [c.vmid, c.state, c.serverId, c.game]));
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
