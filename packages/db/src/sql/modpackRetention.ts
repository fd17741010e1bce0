import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/** A pack some live server runs, asks for or could roll back to: `sha512` is a SQL expression naming the pack. */
const usedByLiveServer = (sha512: ReturnType<typeof sql>, customer?: ReturnType<typeof sql>) => sql`exists (
  select 1 from servers s where s.status <> 'deleted' ${customer ? sql`and s.customer_id = ${customer}` : sql``} and ${sha512} in (
    s.modpack->>'sha512', s.manifest->'modpack'->>'sha512', s.requested_manifest->'modpack'->>'sha512', s.previous_manifest->'modpack'->>'sha512'))`;

/**
 * Removes what no live server needs, once older than `retentionMs`: a
 * customer's claim on an upload none of that customer's live servers uses,
 * then stored packs no customer claims and no live server uses, then read
 * contents of packs neither stored nor used. A server created from an upload
 * keeps it (and its contents) for as long as it lives. Answers how many of
 * each went.
 */
export async function removeUnusedModpacks(tx: DbOrTx, retentionMs: number): Promise<{ owners: number; uploads: number; contents: number }> {
  const before = sql`now() - make_interval(secs => ${retentionMs / 1000})`;
  const owners = await tx.execute(sql`
    delete from modpack_upload_owners o where o.created_at < ${before} and not ${usedByLiveServer(sql`o.sha512`, sql`o.customer_id`)}
    returning 1`);
  const uploads = await tx.execute(sql`
    delete from modpack_uploads u where u.created_at < ${before}
      and not exists (select 1 from modpack_upload_owners o where o.sha512 = u.sha512)
      and not ${usedByLiveServer(sql`u.sha512`)}
    returning 1`);
  const contents = await tx.execute(sql`
    delete from modpack_contents c where c.created_at < ${before}
      and not exists (select 1 from modpack_uploads u where u.sha512 = c.sha512)
      and not ${usedByLiveServer(sql`c.sha512`)}
    returning 1`);
  return { owners: owners.length, uploads: uploads.length, contents: contents.length };
}
