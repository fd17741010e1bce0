import { getServer, type DbOrTx, type ServerRow } from "@zlh/db";
import { ServerNotFoundError } from "@zlh/domain";
import { assertIdShape } from "../http/pathIds";

/** `server_not_found` for an id that is not a UUID, before it reaches the database (where it would be a type error). */
export function assertServerId(id: string): void {
  assertIdShape("uuid", id, (x) => new ServerNotFoundError(x));
}

/** The server, or `server_not_found`, also for ids that are not UUIDs (never a database error). */
export async function loadServer(db: DbOrTx, id: string): Promise<ServerRow> {
  assertServerId(id);
  const row = await getServer(db, id);
  if (!row) throw new ServerNotFoundError(id);
  return row;
}
