import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

/**
 * Stores a server's resolved manifest and sealed RCON password, once: a
 * manifest already stored is never replaced (a re-provision reuses it), so
 * of two racing resolutions the first wins. Returns whether this call stored it.
 */
export async function storeManifest(tx: DbOrTx, serverId: string, manifest: unknown, manifestHash: string, rconSealed: string): Promise<boolean> {
  const rows = await tx.execute<{ id: string }>(sql`
    with stored as (
      update servers set manifest = ${JSON.stringify(manifest)}::jsonb, manifest_hash = ${manifestHash}, rcon_password_enc = ${rconSealed}, updated_at = now()
      where id = ${serverId} and manifest is null
      returning id, host_id
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.manifest_resolved', jsonb_build_object('manifestHash', ${manifestHash}::text) from stored
    )
    select id from stored`);
  return rows.length > 0;
}
