import type { Logger } from "pino";
import {
  addJob,
  bumpDeletedServerGeneration,
  insertOperation,
  liveOperations,
  markReconciled,
  markerOwners,
  recordCrash,
  recordDriftPass,
  recordEvent,
  serversOnHost,
  syncExcludedVmids,
  transitionServer,
  type Db,
  type DriftRow,
  type MarkerOwnerRow,
  type ServerOnHostRow,
  type Tx,
} from "@zlh/db";
import { recognizeCrash, type CrashEvidence, type CrashReason } from "@zlh/domain";
import { HEAL_JOB, healJobKey } from "../jobs/jobNames";
import { converge } from "../lifecycle/converge";
import { judgeHost, namedElsewhere, type HostObservation, type ServerOnHost } from "./judgeHost";

export interface ReconcileContext {
  db: Db;
  log: Logger;
}

/** What one host's evidence is (merged from every source), and its identity (evidenceKey). */
export interface HostEvidence {
  hostId: string;
  observation: HostObservation;
  key: string;
}

export function serverOnHostFrom(s: ServerOnHostRow): ServerOnHost {
  return {
    id: s.id,
    status: s.status,
    desiredState: s.desired_state,
    vmid: s.vmid,
    liveOps: s.live_ops,
    statusChangedAt: new Date(s.status_changed_at),
    restartCount: s.restart_count,
    crashStreak: s.crash_streak,
    lastCrashAt: s.last_crash_at ? new Date(s.last_crash_at) : null,
    healAfter: s.heal_after ? new Date(s.heal_after) : null,
  };
}

/** Settled: nothing left for a later pass over the same evidence (all judged, all drift confirmed, no crash loop whose window is still running). */
export function isSettled(drift: Pick<DriftRow, "kind" | "persistent">[], unjudged: string[]): boolean {
  return unjudged.length === 0 && drift.every((d) => d.persistent && d.kind !== "crash_loop");
}

/**
 * One reconciliation pass over one host, in one transaction: diff its
 * evidence against the database, record drift (items clear themselves when no
 * longer observed), apply the policy to drift seen in two distinct
 * observations of the server as it is now (recordDriftPass), so a report
 * racing a transition is never acted on, and store the verdict
 * (markReconciled) so that later passes skip the host while nothing changes:
 *  - desired running but stopped, or its container running with its game
 *    dead (crashReasonOf: an OOM kill is `out_of_memory`, with a hint): a
 *    crash; start it again, after its crash-loop backoff (recordCrash, the
 *    `server.heal` job; the agent's start restarts only a dead game's unit);
 *  - missing container: the server fails with `container_missing` (a world is
 *    never silently re-created empty);
 *  - our marker on a container whose server is deleted: destroy it, on the
 *    host where it was seen, unless the last such destroy failed (then it is
 *    only reported: an operator decides);
 *  - unmanaged guests: reported only, and their VMIDs never handed out.
 * Returns the open drift.
 */
export async function reconcileHost(ctx: ReconcileContext, evidence: HostEvidence): Promise<DriftRow[]> {
  const { hostId, observation } = evidence;
  return ctx.db.transaction(async (tx) => {
    const servers = (await serversOnHost(tx, hostId)).map(serverOnHostFrom);
    const owners = new Map((await markerOwners(tx, namedElsewhere(servers, observation))).map((o) => [o.id, o]));
    const judgment = judgeHost(servers, observation, (id) => {
      const o = owners.get(id);
      return o && { status: o.status, vmid: o.vmid, hostId: o.host_id, updatedAt: new Date(o.updated_at) };
    });
    const drift = await recordDriftPass(tx, hostId, judgment.drift);
    await syncExcludedVmids(tx, hostId, observation.containers.filter((c) => c.serverId === null && !c.markerUnknown).map((c) => c.vmid));
    for (const item of drift) {
      if (!item.persistent) {
        // Once, when opened: a host not yet settled is judged again over the same evidence, which must not report it again.
        if (!item.opened) continue;
        ctx.log.warn({ hostId, kind: item.kind, vmid: item.vmid, serverId: item.server_id }, "drift detected");
        await recordEvent(tx, { type: "drift.detected", hostId, serverId: ownsRow(item, owners), data: { kind: item.kind, vmid: item.vmid, ...item.detail, driftId: item.id } });
      } else {
        await applyPolicy(tx, ctx.log, hostId, item, owners);
      }
    }
    await markReconciled(tx, [{ hostId, evidence: evidence.key, settled: isSettled(drift, judgment.unjudged), at: null }]);
    return drift;
  });
}

/** Events go on the server's trail only when the server exists. */
function ownsRow(item: DriftRow, owners: Map<string, unknown>): string | null {
  if (!item.server_id) return null;
  return item.kind === "orphan_container" && !owners.has(item.server_id) ? null : item.server_id;
}

/** A crash's reason from its drift detail (diff.ts): the container stopped, or its game died (of memory, or otherwise). */
export function crashReasonOf(detail: Record<string, unknown>): CrashReason {
  if (detail.observed !== "game_dead") return "observed_stopped";
  return detail.reason === "out_of_memory" ? "out_of_memory" : "game_exited";
}

async function applyPolicy(tx: Tx, log: Logger, hostId: string, item: DriftRow, owners: Map<string, MarkerOwnerRow>): Promise<void> {
  const serverId = item.server_id;
  if (!serverId) return;
  const fields = { hostId, serverId, vmid: item.vmid, kind: item.kind };
  if (item.kind === "state_mismatch" && item.detail.desired === "running") {
    const reason = crashReasonOf(item.detail);
    const evidence = (item.detail.evidence as CrashEvidence | undefined) ?? null;
    const { cause, hint, summary } = recognizeCrash(reason, evidence);
    const crash = await recordCrash(tx, serverId, { vmid: item.vmid, source: item.detail.source, reason, cause, ...(hint ? { hint } : {}), ...(summary ? { summary } : {}) }, evidence);
    if (!crash) return;
    await recordEvent(tx, { type: "server.self_heal", serverId, hostId, data: { vmid: item.vmid, action: "start", crashStreak: crash.crashStreak, restartAt: crash.healAfter.toISOString() } });
    if (crash.healAfter.getTime() > Date.now()) {
      await addJob(tx, HEAL_JOB, { serverId }, { jobKey: healJobKey(serverId), runAt: crash.healAfter, maxAttempts: 10 });
      log.warn({ ...fields, reason, cause, crashStreak: crash.crashStreak, restartAt: crash.healAfter }, crash.looping ? "server crash-looping; restarting it after a backoff" : "server found down; restarting it after a backoff");
    } else {
      await converge(tx, serverId);
      log.warn({ ...fields, reason, cause }, "server found down; starting it again");
    }
  } else if (item.kind === "missing_container") {
    const moved = await transitionServer(tx, serverId, "failed", { failureReason: "container_missing", data: { vmid: item.vmid } });
    if (moved) log.error(fields, "container missing; server failed");
  } else if (item.kind === "orphan_container" && item.detail.serverStatus === "deleted") {
    if (owners.get(serverId)?.last_reap_status === "failed") return; // reported; an operator decides
    if ((await liveOperations(tx, serverId)).length > 0) return; // a reap is already under way
    const server = await bumpDeletedServerGeneration(tx, serverId);
    // On the host where the orphan was seen, which need not be the deleted server's own.
    if (server && (await insertOperation(tx, server, "destroy", item.vmid, hostId))) {
      await recordEvent(tx, { type: "drift.orphan_destroy", serverId, hostId, data: { vmid: item.vmid } });
      log.warn(fields, "orphan container of a deleted server; destroying it");
    }
  }
}
