import type { ObservedDrift } from "@zlh/db";
import type { CrashEvidence } from "@zlh/protocol";
import { hasContainer, isCrashLooping, type DesiredState, type ServerStatus } from "@zlh/domain";

/** A container as some source (the agent's inventory, Proxmox) reports it. */
export interface ObservedContainer {
  vmid: number;
  /** `unknown`: the source cannot tell (Proxmox's answer for a guest whose node stopped reporting). Never acted on. */
  state: "running" | "stopped" | "unknown";
  /** The server its marker names, or null when it carries no marker of ours. */
  serverId: string | null;
  /** The marker could not be read (the guest's config did not answer): the container exists, whose it is is unknown. */
  markerUnknown?: boolean;
  /** The game in a running container (the agent's inventory, on runtimes that boot an OS); absent where nobody observes it. */
  game?: "alive" | "dead" | "oom_killed";
  /** Why its game died, as the agent read it (bounded by the protocol): carried into the crash (docs/crash-reports.md). */
  crash?: CrashEvidence;
  source: "agent" | "proxmox";
  /** When the source took the observation this container comes from. */
  observedAt: Date;
}

/** One host's evidence: the containers every source reports, and since when a container nobody reports is known to be absent. */
export interface HostObservation {
  containers: ObservedContainer[];
  /** The freshest listing's time: a container absent from every source was absent at least then. */
  absentAt: Date;
}

export interface ServerOnHost {
  id: string;
  status: ServerStatus;
  desiredState: DesiredState;
  vmid: number;
  /** Operations queued or leased: a server with work in flight is not judged. */
  liveOps: number;
  /** Evidence taken before this says nothing about the server as it is now. */
  statusChangedAt: Date;
  restartCount: number;
  crashStreak: number;
  lastCrashAt: Date | null;
  healAfter: Date | null;
}

/** Servers named by markers, wherever they are: to tell an orphan from a container of a live server. */
export type MarkerOwner = { status: ServerStatus; vmid: number; hostId: string; updatedAt: Date } | undefined;

/** One host's judgment: its drift, and the servers this evidence could not judge yet. */
export interface HostJudgment {
  drift: ObservedDrift[];
  /**
   * Servers left unjudged: work in flight, evidence older than their last
   * status change, a marker or a state nobody could read. Their host is
   * judged again on the next pass even if its evidence does not change.
   */
  unjudged: string[];
}

/** The drift of one host (judgeHost without what it left unjudged). */
export function diffHost(servers: ServerOnHost[], observation: HostObservation, ownerOf: (serverId: string) => MarkerOwner, now = new Date()): ObservedDrift[] {
  return judgeHost(servers, observation, ownerOf, now).drift;
}

/**
 * The drift of one host: what the database says against what is there.
 * Pure, so every rule is tested on its own; policies act on the result.
 * A server is judged only on evidence taken after its last status change and
 * with nothing in flight; every item carries when its evidence was taken and
 * since when it counts (`since`), so that "persistent" can mean two distinct
 * observations of the server as it is now (recordDriftPass).
 */
export function judgeHost(servers: ServerOnHost[], observation: HostObservation, ownerOf: (serverId: string) => MarkerOwner, now = new Date()): HostJudgment {
  const drift: ObservedDrift[] = [];
  const unjudged: string[] = [];
  const byVmid = new Map(observation.containers.map((c) => [c.vmid, c]));
  const ours = new Map(servers.map((s) => [s.vmid, s]));

  for (const s of servers) {
    if (s.status === "deleted") continue;
    const c = byVmid.get(s.vmid);
    const item = (kind: ObservedDrift["kind"], detail: Record<string, unknown>, observedAt: Date, since: Date | null = s.statusChangedAt) =>
      drift.push({ kind, vmid: s.vmid, serverId: s.id, detail, observedAt, since });
    if (s.lastCrashAt && isCrashLooping(s.crashStreak, s.lastCrashAt, now)) {
      item("crash_loop", { restartCount: s.restartCount, crashStreak: s.crashStreak, lastCrashAt: s.lastCrashAt.toISOString(), nextRestartAt: s.healAfter?.toISOString() ?? null }, now, null);
    }
    if (c?.markerUnknown) {
      unjudged.push(s.id); // whose container it is, this pass cannot tell
      continue;
    }
    if (c && c.serverId !== s.id) {
      item("vmid_conflict", { markerServerId: c.serverId, source: c.source }, c.observedAt, null);
      continue;
    }
    if (s.liveOps > 0) {
      unjudged.push(s.id);
      continue;
    }
    if (!c) {
      if (!hasContainer(s.status)) continue;
      if (observation.absentAt > s.statusChangedAt) item("missing_container", { status: s.status }, observation.absentAt);
      else unjudged.push(s.id);
      continue;
    }
    if (c.state === "unknown" || c.observedAt <= s.statusChangedAt) {
      unjudged.push(s.id);
      continue;
    }
    if (s.status === "running" && s.desiredState === "running" && c.state === "stopped") {
      item("state_mismatch", { desired: "running", observed: "stopped", source: c.source, ...(c.crash ? { evidence: c.crash } : {}) }, c.observedAt);
    } else if (s.status === "running" && s.desiredState === "running" && c.state === "running" && (c.game === "dead" || c.game === "oom_killed")) {
      // The container is up but its game is not: a crash all the same, healed by starting the game again.
      item("state_mismatch", { desired: "running", observed: "game_dead", source: c.source, ...(c.game === "oom_killed" ? { reason: "out_of_memory" } : {}), ...(c.crash ? { evidence: c.crash } : {}) }, c.observedAt);
    } else if (s.status === "stopped" && s.desiredState === "stopped" && c.state === "running") {
      item("state_mismatch", { desired: "stopped", observed: "running", source: c.source }, c.observedAt);
    }
  }

  for (const c of observation.containers) {
    if (c.markerUnknown) continue;
    const owner = ours.get(c.vmid);
    if (owner && owner.id === c.serverId) continue;
    if (c.serverId === null) {
      if (!owner) drift.push({ kind: "unmanaged_container", vmid: c.vmid, serverId: null, detail: { state: c.state, source: c.source }, observedAt: c.observedAt, since: null });
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
        observedAt: c.observedAt,
        // A reap bumps the deleted server's row: what was seen before it does not count toward the next one.
        since: named?.status === "deleted" ? named.updatedAt : null,
      });
    }
  }
  return { drift, unjudged };
}

/** Containers whose marker names a server that is not this host's server of that VMID: judging them needs that server's row (markerOwners). */
export function namedElsewhere(servers: ServerOnHost[], observation: HostObservation): string[] {
  const ours = new Map(servers.map((s) => [s.vmid, s.id]));
  return [...new Set(observation.containers.filter((c) => c.serverId !== null && !c.markerUnknown && ours.get(c.vmid) !== c.serverId).map((c) => c.serverId!))];
}
