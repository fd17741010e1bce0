import { sql } from "drizzle-orm";
import type { Task } from "graphile-worker";
import { getServer, recordEvent, type Db } from "@zlh/db";
import type { EdgePublisher } from "../../edge/publisher";

/** `edge.publish`: makes a running server reachable by name. Skipped if the server is no longer running. */
export function edgePublishTask(db: Db, publisher: EdgePublisher): Task {
  return async (payload) => {
    const { serverId } = payload as { serverId: string };
    const s = await getServer(db, serverId);
    if (!s || s.status !== "running") return;
    const [host] = await db.execute<{ node: string }>(sql`select node from hosts where id = ${s.host_id}`);
    await publisher.publish({ serverId, name: s.name, hostNode: host?.node ?? "", vmid: s.vmid, gamePort: s.game_port, address: s.address });
    await recordEvent(db, { type: "edge.published", serverId, hostId: s.host_id });
  };
}

/** `edge.unpublish`: runs when a delete is asked for, before the server is gone. */
export function edgeUnpublishTask(db: Db, publisher: EdgePublisher): Task {
  return async (payload) => {
    const { serverId } = payload as { serverId: string };
    await publisher.unpublish(serverId);
    await recordEvent(db, { type: "edge.unpublished", serverId });
  };
}
