import { addJob, endSchedules, setActor, getServer, holdDeleteForEdge, PROVISION_JOB, recordIntent, redriveDelete, transitionServer, wasProvisioned, type Db, type ServerRow, type Tx } from "@zlh/db";
import { converge } from "../lifecycle/converge";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { InvalidTransitionError, retryTarget, ServerNotFoundError, type DesiredState } from "@zlh/domain";
import { assertServerId } from "./loadServer";

export interface IntentDeps {
  config: { edgeProviders: readonly unknown[]; edgeTiming: { deleteGraceMs: number } };
}

export type Action = "delete" | "start" | "stop" | "restart" | "reinstall";

/** A reinstall wants the server running again: it is how a server broken by hand is repaired. */
const DESIRED: Record<Action, DesiredState> = { delete: "deleted", start: "running", stop: "stopped", restart: "running", reinstall: "running" };

/**
 * Records what the panel wants. A delete is repeatable: asking again for a
 * server already deleting or deleted returns it unchanged, except that a
 * destroy that failed for good is planned again (redriveDelete). Any other
 * intent on a server that is being deleted is a conflict. Asking a failed
 * server to start (or restart) retries what failed: a provision that never
 * succeeded is provisioned again (its manifest resolved again if it never
 * was), keeping the server's id, VMID, ports and settings; otherwise it is
 * started.
 */
export async function requestIntent(
  deps: IntentDeps & { db: Db },
  id: string,
  action: Action,
  actor: string,
  options: { wipe?: boolean } = {},
): Promise<ServerRow> {
  assertServerId(id);
  return retryOnDeadlock(() =>
    deps.db.transaction(async (tx) => {
      await setActor(tx, actor);
      return recordIntentIn(tx, deps, id, action, options);
    }),
  );
}

/** requestIntent's work in the caller's transaction (a schedule's restart ends its run in the same one). */
export async function recordIntentIn(
  tx: Tx,
  deps: IntentDeps,
  id: string,
  action: Action,
  options: { wipe?: boolean } = {},
): Promise<ServerRow> {
  const changed = await recordIntent(tx, id, DESIRED[action], action, options);
  if (!changed) {
    const current = await getServer(tx, id);
    if (!current) throw new ServerNotFoundError(id);
    if (action === "delete") {
      if (await redriveDelete(tx, id)) await converge(tx, id);
      return (await getServer(tx, id)) ?? current;
    }
    throw new InvalidTransitionError(`The server is ${current.status === "deleted" ? "deleted" : "being deleted"}; it cannot ${action}.`);
  }
  if (action === "delete") {
    await transitionServer(tx, id, "deleting", { data: { reason: "delete_requested" } });
    // A deleted server's schedules end with it.
    await endSchedules(tx, id, null, "server_deleted");
    // The edge is unpublished (and verified) before the container is destroyed, within a bounded grace.
    if (deps.config.edgeProviders.length > 0) await holdDeleteForEdge(tx, id, deps.config.edgeTiming.deleteGraceMs);
  } else if (action !== "stop" && changed.status === "failed") await retryFailed(tx, changed, action);
  await converge(tx, id);
  return (await getServer(tx, id)) ?? changed;
}

/** A failed server asked to run again: back to where what failed can be retried; converge plans the step. */
async function retryFailed(tx: Tx, s: ServerRow, action: Action): Promise<void> {
  const hasManifest = s.manifest !== null;
  const to = retryTarget({ hasManifest, wasProvisioned: hasManifest && (await wasProvisioned(tx, s.id)) });
  await transitionServer(tx, s.id, to, { data: { reason: `${action}_requested` } });
  // Resolution runs again first.
  if (to === "pending") await addJob(tx, PROVISION_JOB, { serverId: s.id }, { jobKey: `provision:${s.id}`, maxAttempts: 10 });
}
