import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import type { Histogram } from "prom-client";
import { addJob, listHostsForReconcile, type Db } from "@zlh/db";
import { proxmoxListingFor, type ProxmoxGuests, type ProxmoxView } from "../../reconcile/proxmox";
import { reconcileHost } from "../../reconcile/reconcileHost";
import { RECONCILE_ALL_TASK } from "../taskNames";

export interface ReconcileDeps {
  db: Db;
  log: Logger;
  leaseTtlMs: number;
  intervalMs: number;
  proxmox: ProxmoxView | null;
  /** Observes each pass's duration, by scope (metrics). */
  passDuration?: Histogram<"scope">;
}

/**
 * One pass over some hosts. Each host is reconciled on its own: one host's
 * bad data (or a failure while reconciling it) is logged and never stops the
 * others; a Proxmox that does not answer leaves only the agents' evidence.
 */
async function reconcile(deps: ReconcileDeps, hostId?: string): Promise<void> {
  const endTimer = deps.passDuration?.startTimer({ scope: hostId ? "host" : "all" });
  try {
    await reconcilePass(deps, hostId);
  } finally {
    endTimer?.();
  }
}

async function reconcilePass(deps: ReconcileDeps, hostId?: string): Promise<void> {
  const hosts = await listHostsForReconcile(deps.db, hostId);
  // One Proxmox listing per pass covers every host, whether its agent is up or not.
  let guests: ProxmoxGuests | null = null;
  try {
    guests = deps.proxmox ? await deps.proxmox.guests() : null;
  } catch (err) {
    deps.log.error({ err: (err as Error).message }, "Proxmox listing failed; reconciling on the agents' evidence alone");
  }
  for (const host of hosts) {
    const proxmoxGuests = proxmoxListingFor(guests, host.node);
    if (guests && !proxmoxGuests) deps.log.warn({ hostId: host.id, node: host.node }, "Proxmox has no node of this name; its guests are not evidence for this host");
    try {
      await reconcileHost({ db: deps.db, log: deps.log, leaseTtlMs: deps.leaseTtlMs, proxmoxGuests }, host);
    } catch (err) {
      deps.log.error({ hostId: host.id, err: (err as Error).message }, "reconciling this host failed; the others go on");
    }
  }
}

/**
 * `reconcile.all`: every host, then schedules its own next run
 * (ZLH_RECONCILE_INTERVAL_MS later, one pending run across all processes
 * thanks to the job key).
 */
export function reconcileAllTask(deps: ReconcileDeps): Task {
  return async () => {
    try {
      await reconcile(deps);
    } finally {
      await addJob(deps.db, RECONCILE_ALL_TASK, {}, { jobKey: "reconcile", runAt: new Date(Date.now() + deps.intervalMs), maxAttempts: 3 });
    }
  };
}

/** `reconcile.host`: one host, on every agent (re)connect. */
export function reconcileHostTask(deps: ReconcileDeps): Task {
  return async (payload) => reconcile(deps, (payload as { hostId: string }).hostId);
}
