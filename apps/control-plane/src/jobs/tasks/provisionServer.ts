import type { Task } from "graphile-worker";
import type { Db } from "@zlh/db";
import { converge } from "../../lifecycle/converge";

/**
 * `server.provision`: turns a created server into its provision operation
 * (through convergence, which plans it for a `pending` server). Safe to run
 * any number of times, concurrently too: the unique index on operations
 * (server, generation, kind) admits one; later runs find it and do nothing.
 * (graphile-worker's job_key does not guarantee a single run: a job replaced
 * while locked is inserted anew.)
 */
export function provisionServerTask(db: Db): Task {
  return async (payload, helpers) => {
    const { serverId } = payload as { serverId: string };
    const opId = await db.transaction((tx) => converge(tx, serverId));
    helpers.logger.debug(opId ? "provision operation queued" : "nothing to plan", { serverId, opId });
  };
}
