import type { Task } from "graphile-worker";
import type { Db } from "@zlh/db";
import { converge } from "../../lifecycle/converge";

/**
 * `server.heal`: scheduled for the end of a crashed server's backoff; plans
 * its start (converge does nothing if the server moved on meanwhile: deleted,
 * stopped by the panel, or already started).
 */
export function healServerTask(db: Db): Task {
  return async (payload) => {
    await db.transaction((tx) => converge(tx, (payload as { serverId: string }).serverId));
  };
}
