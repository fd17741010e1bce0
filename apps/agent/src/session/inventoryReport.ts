import { inventoryDigest, type InventoryItem } from "@zlh/protocol";

/** A full inventory goes out at least this often, even unchanged: a safety net under the digests. */
export const FULL_INVENTORY_EVERY_MS = 5 * 60_000;

/**
 * What a heartbeat says about the host's containers: the full inventory when
 * it changed, when the control plane asked for it (its digest did not match:
 * it restarted, or lost a write), and every few minutes regardless;
 * otherwise only its digest ("what I reported last still holds, observed
 * now"), and the control plane writes nothing.
 */
export class InventoryReport {
  /** The last inventory sent in full (its digest, and when). */
  #sent: { digest: string; at: number } | null = null;
  #wanted = false;

  /** The control plane asked for the full inventory. */
  want(): void {
    this.#wanted = true;
  }

  /** The inventory was sent in full (in a hello or a heartbeat). */
  sentInFull(inventory: InventoryItem[], now = Date.now()): void {
    this.#sent = { digest: inventoryDigest(inventory), at: now };
    this.#wanted = false;
  }

  /** The heartbeat's inventory part for `inventory`, observed now. */
  next(inventory: InventoryItem[], now = Date.now()): { inventory: InventoryItem[] } | { inventoryDigest: string } {
    const digest = inventoryDigest(inventory);
    const last = this.#sent;
    if (this.#wanted || !last || last.digest !== digest || now - last.at >= FULL_INVENTORY_EVERY_MS) {
      this.sentInFull(inventory, now);
      return { inventory };
    }
    return { inventoryDigest: digest };
  }
}
