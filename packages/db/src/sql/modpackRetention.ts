import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { usedByLiveServer } from "./modpackUse";
import { lockModpack } from "./modpackUploads";

/** Packs looked at per sweep run: a backlog is worked through an hour at a time, never in one unbounded pass. */
const SWEEP_BATCH = 1000;

/**
 * Removes what no live server needs, once older than `retentionMs`: a
 * customer's claim on an upload none of that customer's live servers uses,
 * then stored packs no customer claims and no live server uses, then read
 * contents of packs neither stored nor used. A server created from an upload
 * keeps it (and its contents) for as long as it lives. Each pack is removed
 * in a transaction of its own under its lock (lockModpack), so a create that
 * pins it concurrently either commits first (and its server keeps the pack)
 * or finds it gone. Answers how many of each went.
 */
export async function removeUnusedModpacks(db: Db, retentionMs: number): Promise<{ owners: number; uploads: number; contents: number }> {
  const before = sql`now() - make_interval(secs => ${retentionMs / 1000})`;
  const candidates = await db.execute<{ sha512: string }>(sql`
    select sha512 from modpack_upload_owners where created_at < ${before}
    union select sha512 from modpack_uploads where created_at < ${before}
    limit ${SWEEP_BATCH}`);
  let owners = 0;
  let uploads = 0;
  for (const { sha512 } of candidates) {
    await db.transaction(async (tx) => {
      await lockModpack(tx, sha512);
      // Statements after the lock see every create that held it, committed.
      owners += (
        await tx.execute(sql`
        delete from modpack_upload_owners o where o.sha512 = ${sha512} and o.created_at < ${before} and not ${usedByLiveServer(sql`o.sha512`, sql`o.customer_id`)}
        returning 1`)
      ).length;
      uploads += (
        await tx.execute(sql`
        delete from modpack_uploads u where u.sha512 = ${sha512} and u.created_at < ${before}
          and not exists (select 1 from modpack_upload_owners o where o.sha512 = u.sha512)
          and not ${usedByLiveServer(sql`u.sha512`)}
        returning 1`)
      ).length;
    });
  }
  const contents = await db.execute(sql`
    delete from modpack_contents c where c.created_at < ${before}
      and not exists (select 1 from modpack_uploads u where u.sha512 = c.sha512)
      and not ${usedByLiveServer(sql`c.sha512`)}
    returning 1`);
  return { owners, uploads, contents: contents.length };
}
