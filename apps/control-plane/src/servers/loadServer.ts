import { getServer, type DbOrTx, type ServerRow } from "@zlh/db";
import { ServerNotFoundError } from "@zlh/domain";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The server, or `server_not_found`, also for ids that are not UUIDs (never a database error). */
export async function loadServer(db: DbOrTx, id: string): Promise<ServerRow> {
  const row = UUID.test(id) ? await getServer(db, id) : null;
  if (!row) throw new ServerNotFoundError(id);
  return row;
}
