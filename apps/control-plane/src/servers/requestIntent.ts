import { addJob, getServer, recordIntent, transitionServer, type Db, type ServerRow } from "@zlh/db";
import { EDGE_UNPUBLISH_TASK, edgeJobKey } from "../jobs/taskNames";
import { converge } from "../lifecycle/converge";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { InvalidTransitionError, ServerNotFoundError, type DesiredState } from "@zlh/domain";
import { assertServerId } from "./loadServer";

export type Action = "delete" | "start" | "stop" | "restart";

const DESIRED: Record<Action, DesiredState> = { delete: "deleted", start: "running", stop: "stopped", restart: "running" };

/**
 * Records what the panel wants. A delete is repeatable: asking again for a
 * server already deleting or deleted returns it unchanged. Any other intent on
 * a server that is being deleted is a conflict.
 */
export async function requestIntent(deps: { db: Db; config: { edgeWebhook: unknown } }, id: string, action: Action): Promise<ServerRow> {
  assertServerId(id);
  return retryOnDeadlock(() =>
    deps.db.transaction(async (tx) => {
      const changed = await recordIntent(tx, id, DESIRED[action], action);
      if (!changed) {
        const current = await getServer(tx, id);
        if (!current) throw new ServerNotFoundError(id);
        if (action === "delete") return current;
        throw new InvalidTransitionError(`The server is ${current.status === "deleted" ? "deleted" : "being deleted"}; it cannot ${action}.`);
      }
      if (action === "delete") {
        await transitionServer(tx, id, "deleting", { data: { reason: "delete_requested" } });
        // Unpublish before the server is gone (replaces a publish still queued for it).
        if (deps.config.edgeWebhook) await addJob(tx, EDGE_UNPUBLISH_TASK, { serverId: id }, { jobKey: edgeJobKey(id), maxAttempts: 10 });
      }
      // Asking a failed server to start again: it counts as stopped, and the start is planned below.
      else if (action !== "stop" && changed.status === "failed") await transitionServer(tx, id, "stopped", { data: { reason: `${action}_requested` } });
      await converge(tx, id);
      return (await getServer(tx, id)) ?? changed;
    }),
  );
}
