import type { Logger } from "pino";
import {
  addJob,
  bumpDeletedServerGeneration,
  insertOperation,
  liveOperations,
  markerOwners,
  recordCrash,
  recordDriftPass,
  recordEvent,
  serversOnHost,
  syncExcludedVmids,
  transitionServer,
  type Db,
  type DriftRow,
  type HostForReconcile,
  type MarkerOwnerRow,
  type Tx,
} from "@zlh/db";
import { isHostConnected } from "../hosts/connectivity";
import { HEAL_TASK, healJobKey } from "../jobs/taskNames";
import { converge } from "../lifecycle/converge";
import { diffHost, type ObservedContainer } from "./diff";
import { mergeObservations, type Listing } from "./observe";

export interface ReconcileContext {
  db: Db;
  log: Logger;
  leaseTtlMs: number;
  /** Proxmox's guests of this host's node and when they were listed; null when Proxmox is not configured or cannot be trusted for this host. */
  proxmoxGuests: Listing<Omit<ObservedContainer, "observedAt">> | null;
}

/**
 * One reconciliation pass over one host: observe (agent inventory while the
 * agent is connected, Proxmox when configured), diff against the database,
 * record drift (items clear themselves when no longer observed), and apply
 * the policy to drift seen in two distinct observations of the server as it
 * is now (recordDriftPass), so a report racing a transition is never acted on:
 *  - desired running but stopped: a crash; start it again, after its
 *    crash-loop backoff (recordCrash, the `server.heal` job);
 *  - missing container: the server fails with `container_missing` (a world is
 *    never silently re-created empty);
 *  - our marker on a container whose server is deleted: destroy it, on the
 *    host where it was seen, unless the last such destroy failed (then it is
 *    only reported: an operator decides);
 *  - unmanaged guests: reported only, and their VMIDs never handed out.
 * Returns the open drift, or null when the host could not be observed.
 */
export async function reconcileHost(ctx: ReconcileContext, host: HostForReconcile): Promise<DriftRow[] | null> {
  const connected = isHostConnected(host, Date.now(), ctx.leaseTtlMs) && host.inventory_at !== null;
  const agent = connected ? { items: host.inventory ?? [], at: new Date(host.inventory_at!) } : null;
  const observation = mergeObservations(agent, ctx.proxmoxGuests);
  if (!observation) return null; // no evidence: servers keep their last state (shown stale)
  return ctx.db.transaction(async (tx) => {
    const servers = await serversOnHost(tx, host.id);
    const named = [...new Set(observation.containers.map((c) => c.serverId).filter((id): id is string => id !== null))];
    const owners = new Map((await markerOwners(tx, named)).map((o) => [o.id, o]));
    const observed = diffHost(
      servers.map((s) => ({
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
      })),
      observation,
      (id) => {
        const o = owners.get(id);
        return o && { status: o.status, vmid: o.vmid, hostId: o.host_id, updatedAt: new Date(o.updated_at) };
      },
    );
    const drift = await recordDriftPass(tx, host.id, observed);
    await syncExcludedVmids(tx, host.id, observation.containers.filter((c) => c.serverId === null && !c.markerUnknown).map((c) => c.vmid));
    for (const item of drift) {
      if (!item.persistent) {
        ctx.log.warn({ hostId: host.id, kind: item.kind, vmid: item.vmid, serverId: item.server_id }, "drift detected");
        await recordEvent(tx, { type: "drift.detected", hostId: host.id, serverId: ownsRow(item, owners), data: { kind: item.kind, vmid: item.vmid, ...item.detail } });
      } else {
        await applyPolicy(tx, ctx.log, host.id, item, owners);
      }
    }
    return drift;
  });
}

/** Events go on the server's trail only when the server exists. */
function ownsRow(item: DriftRow, owners: Map<string, unknown>): string | null {
  if (!item.server_id) return null;
  return item.kind === "orphan_container" && !owners.has(item.server_id) ? null : item.server_id;
}

async function applyPolicy(tx: Tx, log: Logger, hostId: string, item: DriftRow, owners: Map<string, MarkerOwnerRow>): Promise<void> {
  const serverId = item.server_id;
  if (!serverId) return;
  const fields = { hostId, serverId, vmid: item.vmid, kind: item.kind };
  if (item.kind === "state_mismatch" && item.detail.desired === "running") {
    const crash = await recordCrash(tx, serverId, { vmid: item.vmid, source: item.detail.source });
    if (!crash) return;
    await recordEvent(tx, { type: "server.self_heal", serverId, hostId, data: { vmid: item.vmid, action: "start", crashStreak: crash.crashStreak, restartAt: crash.healAfter.toISOString() } });
    if (crash.healAfter.getTime() > Date.now()) {
      await addJob(tx, HEAL_TASK, { serverId }, { jobKey: healJobKey(serverId), runAt: crash.healAfter, maxAttempts: 10 });
      log.warn({ ...fields, crashStreak: crash.crashStreak, restartAt: crash.healAfter }, crash.looping ? "server crash-looping; restarting it after a backoff" : "server found stopped; restarting it after a backoff");
    } else {
      await converge(tx, serverId);
      log.warn(fields, "server found stopped; starting it again");
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
