import type { ObservedDrift } from "@zlh/db";
import type { DesiredState, ServerStatus } from "@zlh/domain";

/** A container as some source (the agent's inventory, Proxmox) reports it. */
export interface ObservedContainer {
  vmid: number;
  state: "running" | "stopped";
  /** The server its marker names, or null when it carries no marker of ours. */
  serverId: string | null;
  source: "agent" | "proxmox";
}

export interface ServerOnHost {
  id: string;
  status: ServerStatus;
  desiredState: DesiredState;
  vmid: number;
  /** Operations queued or leased: a server with work in flight is not judged. */
  liveOps: number;
}

/** Servers named by markers, wherever they are: to tell an orphan from a container of a live server. */
export type MarkerOwner = { status: ServerStatus; vmid: number; hostId: string } | undefined;

/** Statuses in which the server's container must exist on its host. */
const HAS_CONTAINER: ServerStatus[] = ["running", "stopped", "starting", "stopping"];

/**
 * The drift of one host: what the database says against what is there.
 * Pure, so every rule is tested on its own; policies act on the result.
 */
export function diffHost(
  servers: ServerOnHost[],
  containers: ObservedContainer[],
  ownerOf: (serverId: string) => MarkerOwner,
): ObservedDrift[] {
  const drift: ObservedDrift[] = [];
  const byVmid = new Map(containers.map((c) => [c.vmid, c]));
  const ours = new Map(servers.map((s) => [s.vmid, s]));

  for (const s of servers) {
    if (s.status === "deleted") continue;
    const c = byVmid.get(s.vmid);
    if (c && c.serverId !== s.id) {
      drift.push({ kind: "vmid_conflict", vmid: s.vmid, serverId: s.id, detail: { markerServerId: c.serverId, source: c.source } });
      continue;
    }
    if (s.liveOps > 0) continue;
    if (!c && HAS_CONTAINER.includes(s.status)) {
      drift.push({ kind: "missing_container", vmid: s.vmid, serverId: s.id, detail: { status: s.status } });
    } else if (c && s.status === "running" && s.desiredState === "running" && c.state === "stopped") {
      drift.push({ kind: "state_mismatch", vmid: s.vmid, serverId: s.id, detail: { desired: "running", observed: "stopped", source: c.source } });
    } else if (c && s.status === "stopped" && s.desiredState === "stopped" && c.state === "running") {
      drift.push({ kind: "state_mismatch", vmid: s.vmid, serverId: s.id, detail: { desired: "stopped", observed: "running", source: c.source } });
    }
  }

  for (const c of containers) {
    const owner = ours.get(c.vmid);
    if (owner && owner.id === c.serverId) continue;
    if (c.serverId === null) {
      if (!owner) drift.push({ kind: "unmanaged_container", vmid: c.vmid, serverId: null, detail: { state: c.state, source: c.source } });
      continue;
    }
    if (owner) continue; // already a vmid_conflict above
    const named = ownerOf(c.serverId);
    if (!named || named.status === "deleted" || named.vmid !== c.vmid) {
      drift.push({
        kind: "orphan_container",
        vmid: c.vmid,
        serverId: c.serverId,
        detail: { serverStatus: named?.status ?? "unknown", state: c.state, source: c.source },
      });
    }
  }
  return drift;
}
