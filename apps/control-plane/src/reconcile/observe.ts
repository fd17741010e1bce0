import type { InventoryItem } from "@zlh/protocol";
import type { ObservedContainer } from "./diff";

/**
 * One host's containers from every source available: the agent's last
 * inventory (only while the agent is connected: an old inventory is not
 * evidence) and Proxmox's own guest list, which also covers hosts whose agent
 * is down. Where both report a VMID, the agent's view wins (it is the one
 * that read the marker from the container itself).
 */
export function mergeObservations(agent: InventoryItem[] | null, proxmox: ObservedContainer[] | null): ObservedContainer[] | null {
  if (!agent && !proxmox) return null;
  const merged = new Map<number, ObservedContainer>();
  for (const g of proxmox ?? []) merged.set(g.vmid, g);
  for (const c of agent ?? []) merged.set(c.vmid, { vmid: c.vmid, state: c.state, serverId: c.serverId, source: "agent" });
  return [...merged.values()].sort((a, b) => a.vmid - b.vmid);
}
