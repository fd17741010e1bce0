import type { OperationKind } from "./operations";
import type { ServerStatus } from "./serverStatus";

/**
 * The server's lifecycle questions, each asked in one place: what status an
 * operation puts a server in, and which statuses allow what. Code that needs
 * to know "does this server have a container?" calls a predicate here instead
 * of listing statuses itself, so that a status added to the state machine
 * (serverStatus.ts) is placed in every rule by editing this file alone.
 */

/** Server status while a lifecycle operation of each kind is being worked on (tasks leave the status alone). */
export const WORKING_STATUS: Readonly<Partial<Record<OperationKind, ServerStatus>>> = {
  provision: "provisioning",
  start: "starting",
  restart: "starting",
  stop: "stopping",
};

/** Server status once a lifecycle operation of each kind succeeded (a destroy's is `deleted`, written where its resources are released). */
export const DONE_STATUS: Readonly<Partial<Record<OperationKind, ServerStatus>>> = {
  provision: "running",
  start: "running",
  restart: "running",
  stop: "stopped",
};

/**
 * Statuses in which the server's container exists on its host and is
 * settled or moving between running and stopped: reconciliation reports it
 * missing if it is not there, and a change or a reinstall is a provision
 * over it.
 */
export const CONTAINER_STATUSES: readonly ServerStatus[] = ["running", "stopped", "starting", "stopping"];

export function hasContainer(status: ServerStatus): boolean {
  return CONTAINER_STATUSES.includes(status);
}

/** A change (PATCH) is applied over the existing container, so only a server that has one can be changed. */
export function isChangeable(status: ServerStatus): boolean {
  return hasContainer(status);
}

/** A server whose files can be archived: it was provisioned (its container and files may exist) and is not going away. */
export function canBackUp(status: ServerStatus): boolean {
  return status !== "pending" && status !== "provisioning" && status !== "deleting" && status !== "deleted";
}

/** A server with a log to read: everything once it was placed, until it is gone. */
export function hasLog(status: ServerStatus): boolean {
  return status !== "pending" && status !== "deleted";
}

/** Console commands go to the game over RCON, which answers only while the server runs. */
export function acceptsCommands(status: ServerStatus): boolean {
  return status === "running";
}

/** A change's progress (servers.change_status). */
export const CHANGE_STATUSES = ["resolving", "applying", "applied", "rolled_back", "failed"] as const;

/** Resolving its manifest or being applied: another change must wait, and a newer intent supersedes it. */
export function isChangeInFlight(status: string | null): boolean {
  return status === "resolving" || status === "applying";
}

/**
 * Where a failed server goes when asked to run again, so that what failed is
 * retried: back to `pending` when its manifest never resolved (resolution runs
 * again), to `provisioning` when it never came up, else to `stopped` (a start
 * is planned).
 */
export function retryTarget(s: { hasManifest: boolean; wasProvisioned: boolean }): ServerStatus {
  if (!s.hasManifest) return "pending";
  return s.wasProvisioned ? "stopped" : "provisioning";
}
