import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/** What a pack places, as read once from its bytes (see modpack_contents), or null when it was never read here. */
export async function readModpackContents(tx: DbOrTx, sha512: string): Promise<unknown | null> {
  const [row] = await tx.execute<{ contents: unknown }>(sql`select contents from modpack_contents where sha512 = ${sha512}`);
  return row ? row.contents : null;
}

/** Records what a pack places (the same bytes always read the same: a second writer's row is the same, and kept). */
export async function storeModpackContents(tx: DbOrTx, sha512: string, contents: unknown): Promise<void> {
  await tx.execute(sql`insert into modpack_contents (sha512, contents) values (${sha512}, ${JSON.stringify(contents)}::jsonb) on conflict (sha512) do nothing`);
}
