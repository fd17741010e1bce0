import type { Logger } from "pino";
import {
  bumpDeletedServerGeneration,
  insertOperation,
  liveOperations,
  markerOwners,
  recordDriftPass,
  recordEvent,
  serversOnHost,
  syncExcludedVmids,
  transitionServer,
  type Db,
  type DriftRow,
  type HostForReconcile,
  type Tx,
} from "@zlh/db";
import { isHostConnected } from "../hosts/connectivity";
import { converge } from "../lifecycle/converge";
import { diffHost, type ObservedContainer } from "./diff";
import { mergeObservations } from "./observe";

export interface ReconcileContext {
  db: Db;
  log: Logger;
  leaseTtlMs: number;
  /** Proxmox's guests of this host's node, when Proxmox is configured. */
  proxmoxGuests: ObservedContainer[] | null;
}

/**
 * One reconciliation pass over one host: observe (agent inventory while the
 * agent is connected, Proxmox when configured), diff against the database,
 * record drift (items clear themselves when no longer observed), and apply
 * the policy to drift seen in two passes in a row, so a report racing a
 * transition is never acted on:
 *  - desired running but stopped: mark it stopped and converge (a start);
 *  - missing container: the server fails with `container_missing` (a world is
 *    never silently re-created empty);
 *  - our marker on a container whose server is deleted: destroy it;
 *  - unmanaged guests: reported only, and their VMIDs never handed out.
 * Returns the open drift, or null when the host could not be observed.
 */
export async function reconcileHost(ctx: ReconcileContext, host: HostForReconcile): Promise<DriftRow[] | null> {
  const connected = isHostConnected(host, Date.now(), ctx.leaseTtlMs);
  const containers = mergeObservations(connected ? host.inventory ?? [] : null, ctx.proxmoxGuests);
  if (!containers) return null; // no evidence: servers keep their last state (shown stale)
  return ctx.db.transaction(async (tx) => {
    const servers = await serversOnHost(tx, host.id);
    const named = [...new Set(containers.map((c) => c.serverId).filter((id): id is string => id !== null))];
    const owners = new Map((await markerOwners(tx, named)).map((o) => [o.id, { status: o.status, vmid: o.vmid, hostId: o.host_id }]));
    const observed = diffHost(
      servers.map((s) => ({ id: s.id, status: s.status, desiredState: s.desired_state, vmid: s.vmid, liveOps: s.live_ops })),
      containers,
      (id) => owners.get(id),
    );
    const drift = await recordDriftPass(tx, host.id, observed);
    await syncExcludedVmids(tx, host.id, containers.filter((c) => c.serverId === null).map((c) => c.vmid));
    for (const item of drift) {
      if (!item.persistent) {
        ctx.log.warn({ hostId: host.id, kind: item.kind, vmid: item.vmid, serverId: item.server_id }, "drift detected");
        await recordEvent(tx, { type: "drift.detected", hostId: host.id, serverId: ownsRow(item, owners), data: { kind: item.kind, vmid: item.vmid, ...item.detail } });
      } else {
        await applyPolicy(tx, ctx.log, host.id, item);
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

async function applyPolicy(tx: Tx, log: Logger, hostId: string, item: DriftRow): Promise<void> {
  const serverId = item.server_id;
  if (!serverId) return;
  const fields = { hostId, serverId, vmid: item.vmid, kind: item.kind };
  if (item.kind === "state_mismatch" && item.detail.desired === "running") {
    const moved = await transitionServer(tx, serverId, "stopped", { data: { reason: "observed_stopped" } });
    if (moved) {
      await recordEvent(tx, { type: "server.self_heal", serverId, hostId, data: { vmid: item.vmid, action: "start" } });
      await converge(tx, serverId);
      log.warn(fields, "server found stopped; starting it again");
    }
  } else if (item.kind === "missing_container") {
    const moved = await transitionServer(tx, serverId, "failed", { failureReason: "container_missing", data: { vmid: item.vmid } });
    if (moved) log.error(fields, "container missing; server failed");
  } else if (item.kind === "orphan_container" && item.detail.serverStatus === "deleted") {
    if ((await liveOperations(tx, serverId)).length > 0) return; // a reap is already under way
    const server = await bumpDeletedServerGeneration(tx, serverId);
    if (server && (await insertOperation(tx, server, "destroy", item.vmid))) {
      await recordEvent(tx, { type: "drift.orphan_destroy", serverId, hostId, data: { vmid: item.vmid } });
      log.warn(fields, "orphan container of a deleted server; destroying it");
    }
  }
}
