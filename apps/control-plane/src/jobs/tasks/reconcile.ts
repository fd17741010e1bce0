import type { Task } from "graphile-worker";
import type { Logger } from "pino";
import { addJob, listHostsForReconcile, type Db } from "@zlh/db";
import type { ProxmoxView } from "../../reconcile/proxmox";
import { reconcileHost } from "../../reconcile/reconcileHost";
import { RECONCILE_ALL_TASK } from "../taskNames";

export interface ReconcileDeps {
  db: Db;
  log: Logger;
  leaseTtlMs: number;
  intervalMs: number;
  proxmox: ProxmoxView | null;
}

async function reconcile(deps: ReconcileDeps, hostId?: string): Promise<void> {
  const hosts = await listHostsForReconcile(deps.db, hostId);
  // One Proxmox listing per pass covers every host, whether its agent is up or not.
  const guests = deps.proxmox ? await deps.proxmox.guestsByNode() : null;
  for (const host of hosts) {
    await reconcileHost({ db: deps.db, log: deps.log, leaseTtlMs: deps.leaseTtlMs, proxmoxGuests: guests ? guests.get(host.node) ?? [] : null }, host);
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
