/**
 * The server state machine: the one table every status write goes through.
 *
 * `transitionServer` (packages/db) turns this table into a conditional UPDATE
 * (`... WHERE status = ANY(<allowed sources>)`), so a transition that races
 * another one fails cleanly instead of overwriting it.
 */
export const SERVER_STATUSES = [
  "pending",
  "provisioning",
  "running",
  "stopping",
  "stopped",
  "starting",
  "deleting",
  "deleted",
  "failed",
] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];

export const DESIRED_STATES = ["running", "stopped", "deleted"] as const;
export type DesiredState = (typeof DESIRED_STATES)[number];

/** from -> the statuses it may move to. `deleted` is terminal. */
export const SERVER_TRANSITIONS: Readonly<Record<ServerStatus, readonly ServerStatus[]>> = {
  pending: ["provisioning", "deleting", "failed"],
  // provisioning -> stopped: a change applied to a server wanted stopped leaves it stopped.
  provisioning: ["running", "stopped", "deleting", "failed"],
  // running -> stopped: reconciliation observed the process gone (then self-heals with a start).
  // running / stopped -> provisioning: a reinstall's provision was leased.
  running: ["stopping", "stopped", "starting", "provisioning", "deleting", "failed"],
  stopping: ["stopped", "starting", "provisioning", "deleting", "failed"],
  stopped: ["starting", "provisioning", "deleting", "failed"],
  // starting -> stopped: its game ended before it answered (the agent's game_exited): a crash, healed by a start.
  starting: ["running", "stopped", "stopping", "provisioning", "deleting", "failed"],
  // A destroy that fails leaves the server `deleting` until it is confirmed:
  // the row is never forgotten while a container may still exist.
  deleting: ["deleted"],
  deleted: [],
  // failed -> stopped: the panel asked to start a failed server again; convergence plans the start.
  // failed -> provisioning / pending: ...one whose provision never succeeded; provisioned again
  // (pending when its manifest never resolved, so resolution runs again first).
  failed: ["starting", "stopped", "provisioning", "pending", "deleting"],
};

/** The statuses a server may be in for a move to `to` to be legal. */
export function allowedSources(to: ServerStatus): ServerStatus[] {
  return SERVER_STATUSES.filter((from) => SERVER_TRANSITIONS[from].includes(to));
}
