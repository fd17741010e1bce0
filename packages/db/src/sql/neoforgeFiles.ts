import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * A file NeoForge's installer made, for the agent of `hostId`, only when a
 * server on that host has it in its manifest (current, requested or
 * previous: a change or a rollback places those): an agent token is no key
 * to every host's files. Null otherwise.
 */
export async function readNeoforgeFileForHost(tx: DbOrTx, hostId: string, sha512: string): Promise<Uint8Array | null> {
  const wanted = JSON.stringify([{ sha512, kind: "installed" }]);
  const [row] = await tx.execute<{ data: Buffer }>(sql`
    select f.data from neoforge_files f
    where f.sha512 = ${sha512} and exists (
      select 1 from servers s where s.host_id = ${hostId} and s.status <> 'deleted' and (
        s.manifest->'files' @> ${wanted}::jsonb or s.requested_manifest->'files' @> ${wanted}::jsonb or s.previous_manifest->'files' @> ${wanted}::jsonb))`);
  return row ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : null;
}
