import { randomUUID } from "node:crypto";
import { insertTaskOperation, keyParams, recordEvent, type TaskKey, type Tx } from "@zlh/db";

/**
 * Queues one console line for a server (a task operation, with its
 * `server.command` event): the console's and a schedule's. Null when the
 * server is busy or gone.
 */
export async function sendCommand(tx: Tx, server: { id: string; host_id: string }, command: string, keyed: TaskKey | null = null): Promise<string | null> {
  const id = await insertTaskOperation(tx, server.id, "command", randomUUID(), { command, ...keyParams(keyed) }, 1);
  if (id) await recordEvent(tx, { type: "server.command", serverId: server.id, hostId: server.host_id, operationId: id, data: { command } });
  return id;
}
