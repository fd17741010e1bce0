import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * The sealed per-server secrets (servers.rcon_password_enc) a key rotation re-seals: a page in id order
 * after `afterId`, skipping values that already start with `currentPrefix` (sealed under the current key).
 * Deleted servers are included: a restore or re-provision of their record would still unseal them.
 */
export async function sealedSecretsPage(db: DbOrTx, afterId: string | null, currentPrefix: string, limit: number): Promise<{ id: string; sealed: string }[]> {
  return db.execute<{ id: string; sealed: string }>(sql`
    select id, rcon_password_enc as sealed from servers
    where rcon_password_enc is not null and not starts_with(rcon_password_enc, ${currentPrefix})
      and (${afterId}::uuid is null or id > ${afterId}::uuid)
    order by id limit ${limit}`);
}

/** Replaces one sealed value if it is still the one read (a concurrent write wins); returns whether it did. */
export async function replaceSealedSecret(db: DbOrTx, id: string, was: string, sealed: string): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    update servers set rcon_password_enc = ${sealed} where id = ${id} and rcon_password_enc = ${was} returning id`);
  return rows.length > 0;
}
