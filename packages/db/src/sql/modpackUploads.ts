import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export type ModpackUpload = {
  sha512: string;
  size: number;
  summary: unknown;
  created_at: string;
};

/** Stores a checked pack under its sha512 (the same bytes uploaded twice are one row); returns the stored row. */
export async function storeModpackUpload(tx: DbOrTx, u: { sha512: string; data: Uint8Array; summary: unknown; callerId: string }): Promise<ModpackUpload> {
  const [row] = await tx.execute<ModpackUpload>(sql`
    with ins as (
      insert into modpack_uploads (sha512, size, data, summary, caller_id)
      values (${u.sha512}, ${u.data.byteLength}, ${Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)}, ${JSON.stringify(u.summary)}::jsonb, ${u.callerId})
      on conflict (sha512) do nothing
      returning sha512, size, summary, created_at::text
    )
    select * from ins union all select sha512, size, summary, created_at::text from modpack_uploads where sha512 = ${u.sha512} limit 1`);
  return row!;
}

/** An uploaded pack's bytes, or null when none has that sha512. */
export async function readModpackUpload(tx: DbOrTx, sha512: string): Promise<Uint8Array | null> {
  const [row] = await tx.execute<{ data: Buffer }>(sql`select data from modpack_uploads where sha512 = ${sha512}`);
  return row ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : null;
}

/**
 * An uploaded pack's bytes for a host's agent: only a pack one of that
 * host's servers runs, asks for, or would roll back to, so a host token
 * reads no other customer's pack.
 */
export async function readModpackUploadForHost(tx: DbOrTx, hostId: string, sha512: string): Promise<Uint8Array | null> {
  const [row] = await tx.execute<{ data: Buffer }>(sql`
    select u.data from modpack_uploads u
    where u.sha512 = ${sha512} and exists (
      select 1 from servers s where s.host_id = ${hostId} and ${sha512} in (
        s.modpack->>'sha512', s.manifest->'modpack'->>'sha512', s.requested_manifest->'modpack'->>'sha512', s.previous_manifest->'modpack'->>'sha512'))`);
  return row ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : null;
}
