import { createHash } from "node:crypto";
import type { InventoryItem } from "./messages";

/**
 * The digest of a host's inventory, the same on both ends: sha256 of its
 * canonical form (sorted by VMID, fixed field order). A heartbeat carries
 * it instead of the list while the list has not changed.
 */
export function inventoryDigest(inventory: readonly InventoryItem[]): string {
  // The game's liveness only where reported, so an inventory without it digests as it always did.
  // The crash evidence likewise: a new death's evidence changes the digest, so the control plane reads it.
  const canonical = [...inventory]
    .sort((a, b) => a.vmid - b.vmid)
    .map((c) => {
      const base: unknown[] = c.game === undefined ? [c.vmid, c.state, c.serverId] : [c.vmid, c.state, c.serverId, c.game];
      const k = c.crash;
      // Fixed field order (a jsonb round trip reorders an object's keys).
      return k === undefined ? base : [...base, [k.log ?? null, k.stderr ?? null, k.crashReport?.name ?? null, k.crashReport?.lines ?? null, k.exit ? [k.exit.result, k.exit.code, k.exit.status] : null, k.refused ?? null]];
    });
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
