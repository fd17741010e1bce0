import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * The size of a file NeoForge's installer made, for the agent of `hostId`,
 * only when a live server on that host has it in its manifest (current,
 * requested or previous: a change or a rollback places those): an agent
 * token is no key to every host's files. Null otherwise. The bytes are then
 * read in slices (neoforgeFileSlice), never whole.
 */
export async function neoforgeFileSizeForHost(tx: DbOrTx, hostId: string, sha512: string): Promise<number | null> {
  const wanted = JSON.stringify([{ sha512, kind: "installed" }]);
  const [row] = await tx.execute<{ size: number }>(sql`
    select f.size from neoforge_files f
    where f.sha512 = ${sha512} and exists (
      select 1 from servers s where s.host_id = ${hostId} and s.status <> 'deleted' and (
        s.manifest->'files' @> ${wanted}::jsonb or s.requested_manifest->'files' @> ${wanted}::jsonb or s.previous_manifest->'files' @> ${wanted}::jsonb))`);
  return row ? row.size : null;
}

/** Bytes `[offset, offset + length)` of a stored installer-made file (empty when it is no longer stored). */
export async function neoforgeFileSlice(tx: DbOrTx, sha512: string, offset: number, length: number): Promise<Uint8Array> {
  const [row] = await tx.execute<{ part: Buffer }>(sql`select substring(data from ${offset + 1}::int for ${length}::int) as part from neoforge_files where sha512 = ${sha512}`);
  if (!row) return new Uint8Array(0);
  return new Uint8Array(row.part.buffer, row.part.byteOffset, row.part.byteLength);
}
