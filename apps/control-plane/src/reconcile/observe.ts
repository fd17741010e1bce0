import type { InventoryItem } from "@zlh/protocol";
import type { HostObservation, ObservedContainer } from "./judgeHost";

/** A source's listing of one host, and when it was taken. */
export interface Listing<T> {
  items: T[];
  at: Date;
}

/**
 * One host's containers from every source available: the agent's last
 * inventory (only while the agent is connected: an old inventory is not
 * evidence) and Proxmox's own guest list, which also covers hosts whose agent
 * is down. Where both report a VMID, the agent's view wins (it is the one
 * that read the marker from the container itself) and so does its time. A
 * container is absent only if every source lacks it, so absence is known as
 * of the freshest listing. Null when there is no evidence at all.
 */
export function mergeObservations(agent: Listing<InventoryItem> | null, proxmox: Listing<Omit<ObservedContainer, "observedAt">> | null): HostObservation | null {
  if (!agent && !proxmox) return null;
  const merged = new Map<number, ObservedContainer>();
  for (const g of proxmox?.items ?? []) merged.set(g.vmid, { ...g, observedAt: proxmox!.at });
  for (const c of agent?.items ?? []) {
    merged.set(c.vmid, { vmid: c.vmid, state: c.state, serverId: c.serverId, source: "agent", observedAt: agent!.at, ...(c.game ? { game: c.game } : {}), ...(c.crash ? { crash: c.crash } : {}) });
  }
  const times = [agent?.at, proxmox?.at].filter((t): t is Date => t !== undefined);
  return { containers: [...merged.values()].sort((a, b) => a.vmid - b.vmid), absentAt: new Date(Math.max(...times.map((t) => t.getTime()))) };
}
