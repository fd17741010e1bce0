import { fitCrashEvidence, storableText } from "@zlh/domain";
import type { InventoryItem, Result } from "@zlh/protocol";

/**
 * What an agent sends is fitted here, at the door, before anything of it is
 * written: the agent's host may be the customer's to subvert, and an older
 * agent bounded its evidence less well. The protocol's schema bounds lines
 * and characters but not bytes, and lets through NUL and lone surrogates,
 * which Postgres refuses in jsonb (and NUL in text): one such string would
 * fail every hello and heartbeat of its host, or every resend of a result.
 * So every container's crash evidence is rebuilt within its budgets
 * (fitCrashEvidence), and every other free string of a result made storable.
 */
export function fitInventory<T extends InventoryItem[] | undefined>(inventory: T): T {
  if (inventory === undefined) return inventory;
  return inventory.map((item) => {
    if (item.crash === undefined) return item;
    const crash = fitCrashEvidence(item.crash);
    const { crash: _sent, ...rest } = item;
    return crash ? { ...rest, crash } : rest;
  }) as T;
}

/** A result with its data's crash evidence fitted, and every string of its error and data storable. */
export function fitResult(result: Result): Result {
  const fitted: Result = { ...result };
  if (result.error) fitted.error = { code: storableText(result.error.code), message: storableText(result.error.message) };
  if (result.data) {
    const data = storable(result.data) as Record<string, unknown>;
    if ("crash" in data) {
      const crash = fitCrashEvidence(data.crash);
      if (crash) data.crash = crash;
      else delete data.crash;
    }
    fitted.data = data;
  }
  return fitted;
}

/** A copy of decoded JSON with every string (keys too) made storable. */
function storable(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storable(v)]));
  }
  return value;
}
