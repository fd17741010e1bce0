import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { usedByLiveServer } from "./modpackUse";
import { lockModpack } from "./modpackUploads";

export type HeldModpackUpload = {
  sha512: string;
  size: number;
  summary: unknown;
  /** This customer's own (latest) upload of it, as Postgres writes it (to the microsecond): the page cursor's key. */
  uploaded_at: string;
  /** Whether one of this customer's live servers runs it, asks for it or could roll back to it: kept then, and not deletable. */
  in_use: boolean;
};

/**
 * A customer's uploads, newest upload first, a page at a time (`limit + 1`
 * rows tell whether more follow): keyset on (the customer's upload time,
 * sha512).
 */
export async function listModpackUploads(db: DbOrTx, customerId: string, page: { after?: { uploadedAt: string; sha512: string }; limit: number }): Promise<HeldModpackUpload[]> {
  const at = page.after?.uploadedAt ?? null;
  const sha = page.after?.sha512 ?? null;
  return db.execute<HeldModpackUpload>(sql`
    select u.sha512, u.size, u.summary, o.created_at::text as uploaded_at, ${usedByLiveServer(sql`o.sha512`, sql`o.customer_id`)} as in_use
    from modpack_upload_owners o join modpack_uploads u on u.sha512 = o.sha512
    where o.customer_id = ${customerId}
      and (${at}::timestamptz is null or (o.created_at, o.sha512) < (${at}::timestamptz, ${sha}::text))
    order by o.created_at desc, o.sha512 desc
    limit ${page.limit}`);
}

/**
 * Removes a customer's claim on an upload, and the stored pack (with its read
 * contents) when no other customer claims it and no live server needs it.
 * Under the pack's lock, so it cannot race a create or change pinning the
 * pack (which holds the same lock and checks the claim again), an upload of
 * it, or the sweep. `in_use`: one of this customer's live servers needs it
 * (nothing is removed); `not_found`: the customer has no such upload.
 */
export async function removeModpackUpload(db: Db, sha512: string, customerId: string): Promise<"removed" | "in_use" | "not_found"> {
  return db.transaction(async (tx) => {
    await lockModpack(tx, sha512);
    const [claim] = await tx.execute<{ in_use: boolean }>(sql`
      select ${usedByLiveServer(sql`o.sha512`, sql`o.customer_id`)} as in_use from modpack_upload_owners o
      where o.customer_id = ${customerId} and o.sha512 = ${sha512}`);
    if (!claim) return "not_found";
    if (claim.in_use) return "in_use";
    await tx.execute(sql`delete from modpack_upload_owners where customer_id = ${customerId} and sha512 = ${sha512}`);
    const gone = await tx.execute(sql`
      delete from modpack_uploads u where u.sha512 = ${sha512}
        and not exists (select 1 from modpack_upload_owners o where o.sha512 = u.sha512)
        and not ${usedByLiveServer(sql`u.sha512`)}
      returning 1`);
    if (gone.length > 0) await tx.execute(sql`delete from modpack_contents c where c.sha512 = ${sha512} and not ${usedByLiveServer(sql`c.sha512`)}`);
    return "removed";
  });
}
