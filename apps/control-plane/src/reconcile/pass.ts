import type { Logger } from "pino";
import {
  hostInventories,
  listHostsToReconcile,
  markReconciled,
  serversOnHosts,
  type Db,
  type HostToReconcile,
  type ReconciledMark,
  type ReconcileSchedule,
  type ServerOnHostRow,
} from "@zlh/db";
import { isHostConnected } from "../hosts/connectivity";
import { judgeHost, namedElsewhere } from "./judgeHost";
import { evidenceKey } from "./evidence";
import { mergeObservations, type Listing } from "./observe";
import { proxmoxListingFor, type ProxmoxGuest, type ProxmoxGuests, type ProxmoxView } from "./proxmox";
import { isSettled, reconcileHost, serverOnHostFrom, type HostEvidence } from "./reconcileHost";

export interface PassDeps {
  db: Db;
  log: Logger;
  leaseTtlMs: number;
  proxmox: ProxmoxView | null;
  schedule: ReconcileSchedule;
}

export interface PassStats {
  /** Hosts considered (not revoked). */
  hosts: number;
  /** Hosts whose evidence or servers were read and judged. */
  judged: number;
  /** Of those, hosts with drift to record or act on (a transaction of their own). */
  written: number;
  failed: number;
}

/** Hosts judged per batch: bounds the memory of a pass (their inventories and servers) whatever the fleet's size. */
const BATCH = 100;
/** Hosts with drift reconciled at once (each one transaction). */
const WRITERS = 4;

/**
 * One reconciliation pass, incremental: a host is judged only when its last
 * verdict may be out of date (its evidence's digest changed, a server of it
 * changed status, its last pass left something unjudged, or its periodic
 * recheck is due), or when `force` asks for it (an agent's reconnect). Those
 * hosts are read in batches (inventories and servers, one statement each);
 * a host whose evidence matches the database exactly (no drift, nothing
 * open) gets its verdict stored with the batch's, without a transaction;
 * only hosts with drift go through reconcileHost. So a quiet fleet costs one
 * narrow read of the host table per pass, and nothing is written.
 *
 * One host's bad data (or a failure while reconciling it) is logged and
 * never stops the others; a Proxmox that does not answer leaves only the
 * agents' evidence.
 */
export async function reconcilePass(deps: PassDeps, opts: { hostId?: string; force?: boolean } = {}): Promise<PassStats> {
  const hosts = await listHostsToReconcile(deps.db, deps.schedule, opts.hostId);
  const guests = await listGuests(deps);
  const now = Date.now();
  const stats: PassStats = { hosts: hosts.length, judged: 0, written: 0, failed: 0 };
  const stale: { host: HostToReconcile; connected: boolean; proxmox: Listing<ProxmoxGuest> | null; key: string }[] = [];
  for (const host of hosts) {
    const proxmox = proxmoxListingFor(guests, host.node);
    if (guests && !proxmox) deps.log.warn({ hostId: host.id, node: host.node }, "Proxmox has no node of this name; its guests are not evidence for this host");
    const connected = isHostConnected(host, now, deps.leaseTtlMs) && host.inventory_at !== null;
    const key = evidenceKey(host, connected, proxmox);
    if (opts.force || host.due || key !== host.reconciled_evidence) stale.push({ host, connected, proxmox, key });
  }
  for (let i = 0; i < stale.length; i += BATCH) {
    const batch = stale.slice(i, i + BATCH);
    try {
      const drifting = await judgeBatch(deps, batch);
      stats.judged += batch.length;
      stats.written += drifting.length;
      stats.failed += await reconcileEach(deps, drifting);
    } catch (err) {
      stats.failed += batch.length;
      deps.log.error({ err: (err as Error).message, hosts: batch.length }, "reconciling a batch of hosts failed; the others go on");
    }
  }
  return stats;
}

async function listGuests(deps: PassDeps): Promise<ProxmoxGuests | null> {
  // One Proxmox listing per pass covers every host, whether its agent is up or not.
  try {
    return deps.proxmox ? await deps.proxmox.guests() : null;
  } catch (err) {
    deps.log.error({ err: (err as Error).message }, "Proxmox listing failed; reconciling on the agents' evidence alone");
    return null;
  }
}

/**
 * Judges a batch of hosts from two reads; stores the verdict of every host
 * with nothing to record, and returns the evidence of the others.
 */
async function judgeBatch(deps: PassDeps, batch: { host: HostToReconcile; connected: boolean; proxmox: Listing<ProxmoxGuest> | null; key: string }[]): Promise<HostEvidence[]> {
  const ids = batch.map((b) => b.host.id);
  // Inventories first: the verdict is as of this read, and a server changing status after it is seen by the next pass.
  const inventories = new Map((await hostInventories(deps.db, ids)).map((r) => [r.id, r]));
  const servers = new Map<string, ServerOnHostRow[]>();
  for (const s of await serversOnHosts(deps.db, ids)) {
    const list = servers.get(s.host_id);
    if (list) list.push(s);
    else servers.set(s.host_id, [s]);
  }
  const marks: ReconciledMark[] = [];
  const drifting: HostEvidence[] = [];
  for (const { host, connected, proxmox, key } of batch) {
    const inv = inventories.get(host.id);
    if (!inv) continue; // revoked meanwhile
    const agent = connected && inv.inventory_at ? { items: inv.inventory ?? [], at: new Date(inv.inventory_at) } : null;
    const observation = mergeObservations(agent, proxmox);
    const at = new Date(inv.read_at);
    if (!observation) {
      marks.push({ hostId: host.id, evidence: key, settled: true, at }); // no evidence: servers keep their last state (shown stale)
      continue;
    }
    const own = (servers.get(host.id) ?? []).map(serverOnHostFrom);
    const unmanaged = observation.containers.some((c) => c.serverId === null && !c.markerUnknown);
    if (namedElsewhere(own, observation).length === 0 && !unmanaged && !host.has_open_drift && !host.has_excluded_vmids) {
      const judgment = judgeHost(own, observation, () => undefined);
      if (judgment.drift.length === 0) {
        marks.push({ hostId: host.id, evidence: key, settled: isSettled([], judgment.unjudged), at });
        continue;
      }
    }
    drifting.push({ hostId: host.id, observation, key });
  }
  await markReconciled(deps.db, marks);
  return drifting;
}

/** reconcileHost for each, a few at a time; returns how many failed. */
async function reconcileEach(deps: PassDeps, hosts: HostEvidence[]): Promise<number> {
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < hosts.length) {
      const evidence = hosts[next++]!;
      try {
        await reconcileHost({ db: deps.db, log: deps.log }, evidence);
      } catch (err) {
        failed++;
        deps.log.error({ hostId: evidence.hostId, err: (err as Error).message }, "reconciling this host failed; the others go on");
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITERS, hosts.length) }, worker));
  return failed;
}
