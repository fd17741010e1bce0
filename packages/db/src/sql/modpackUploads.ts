import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../client";
import { storeModpackContents } from "./modpackContents";

export type ModpackUpload = {
  sha512: string;
  size: number;
  summary: unknown;
  /** When this customer uploaded it (each customer's own time: another's upload of the same bytes says nothing). */
  created_at: string;
};

/** A stored upload, or, past the customer's quota, the bytes the customer holds already (nothing was written). */
export type StoredModpackUpload = { upload: ModpackUpload } | { overQuota: { heldBytes: number } };

/**
 * Stores a checked pack under its sha512 (the same bytes are stored once) and
 * records that `customerId` uploaded it; returns the pack with that
 * customer's own upload time, its latest: uploading it again renews it, and
 * the retention of an unused pack counts from it (a pack answered 201 now is
 * not swept as old an hour later). Refused, writing nothing, when the
 * customer's other held uploads and this one would be more than
 * `quotaBytes` (a pack the customer holds already is not counted twice).
 * `contents` (what the pack places, as read) is recorded with it, in the
 * same transaction: a refused upload leaves no read contents either.
 */
export async function storeModpackUpload(
  db: Db,
  u: { sha512: string; data: Uint8Array; summary: unknown; contents: unknown; callerId: string; customerId: string; quotaBytes: number },
): Promise<StoredModpackUpload> {
  // One transaction, under the customer's lock (two uploads of one customer cannot both pass the quota) and then the
  // pack's (the sweep cannot remove the pack between its insert and the customer's claim). Only uploads take the
  // customer's lock, so the order cannot deadlock against a create's, a delete's or the sweep's pack lock.
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`zlh:modpack-customer:${u.customerId}`}, 0))`);
    const heldBytes = await heldUploadBytes(tx, u.customerId, u.sha512);
    if (heldBytes + u.data.byteLength > u.quotaBytes) return { overQuota: { heldBytes } };
    await lockModpack(tx, u.sha512);
    await tx.execute(sql`
      insert into modpack_uploads (sha512, size, data, summary, caller_id)
      values (${u.sha512}, ${u.data.byteLength}, ${Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength)}, ${JSON.stringify(u.summary)}::jsonb, ${u.callerId})
      on conflict (sha512) do update set created_at = now()`);
    await storeModpackContents(tx, u.sha512, u.contents);
    const [row] = await tx.execute<ModpackUpload>(sql`
    with mine as (
      insert into modpack_upload_owners (customer_id, sha512, caller_id) values (${u.customerId}, ${u.sha512}, ${u.callerId})
      on conflict (customer_id, sha512) do update set created_at = now(), caller_id = excluded.caller_id
      returning created_at
    )
    select p.sha512, p.size, p.summary, mine.created_at::text from modpack_uploads p, mine where p.sha512 = ${u.sha512}`);
    return { upload: row! };
  });
}

/** Bytes of the packs a customer holds (each counted once, by its size), but `except`: what an upload of `except` adds to. */
export async function heldUploadBytes(tx: DbOrTx, customerId: string, except: string): Promise<number> {
  const [held] = await tx.execute<{ bytes: string }>(sql`
    select coalesce(sum(p.size), 0)::text as bytes from modpack_upload_owners o join modpack_uploads p on p.sha512 = o.sha512
    where o.customer_id = ${customerId} and o.sha512 <> ${except}`);
  return Number(held!.bytes);
}

/**
 * One pack's lock, held to the end of the transaction: a create or change
 * that pins an upload, an upload, and the sweep's removal of that pack take
 * it, so the sweep never removes a pack a server is being created from (it
 * sees the server once the create has committed, and the create sees the
 * pack gone if the sweep went first).
 */
export async function lockModpack(tx: DbOrTx, sha512: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`zlh:modpack:${sha512}`}, 0))`);
}

/** In a create's or change's transaction: locks the pack and says whether the customer still has it (the sweep may have removed it since it was read). */
export async function holdOwnedModpackUpload(tx: DbOrTx, sha512: string, customerId: string): Promise<boolean> {
  await lockModpack(tx, sha512);
  return (await ownedModpackUploadSize(tx, sha512, customerId)) !== null;
}

/** An uploaded pack's size for a customer's create or change: null unless that customer uploaded it. */
export async function ownedModpackUploadSize(tx: DbOrTx, sha512: string, customerId: string): Promise<number | null> {
  const [row] = await tx.execute<{ size: number }>(sql`
    select u.size from modpack_uploads u
    join modpack_upload_owners o on o.sha512 = u.sha512 and o.customer_id = ${customerId}
    where u.sha512 = ${sha512}`);
  return row ? row.size : null;
}

/** An uploaded pack's bytes for resolving a server that already pins it (its customer was checked when it was chosen). */
export async function readPinnedModpackUpload(tx: DbOrTx, sha512: string): Promise<Uint8Array | null> {
  const [row] = await tx.execute<{ data: Buffer }>(sql`select data from modpack_uploads where sha512 = ${sha512}`);
  return row ? new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) : null;
}

/**
 * An uploaded pack's size for a host's agent: only a pack one of that host's
 * live (not deleted) servers runs, asks for, or would roll back to, so a host
 * token reads no other customer's pack. Null when there is none such.
 */
export async function modpackUploadSizeForHost(tx: DbOrTx, hostId: string, sha512: string): Promise<number | null> {
  const [row] = await tx.execute<{ size: number }>(sql`
    select u.size from modpack_uploads u
    where u.sha512 = ${sha512} and exists (
      select 1 from servers s where s.host_id = ${hostId} and s.status <> 'deleted' and ${sha512} in (
        s.modpack->>'sha512', s.manifest->'modpack'->>'sha512', s.requested_manifest->'modpack'->>'sha512', s.previous_manifest->'modpack'->>'sha512'))`);
  return row ? row.size : null;
}

/** Bytes `[offset, offset + length)` of a stored pack: the agent route streams a pack in such slices, never holding it whole. */
export async function modpackUploadSlice(tx: DbOrTx, sha512: string, offset: number, length: number): Promise<Uint8Array> {
  const [row] = await tx.execute<{ part: Buffer }>(sql`select substring(data from ${offset + 1}::int for ${length}::int) as part from modpack_uploads where sha512 = ${sha512}`);
  if (!row) return new Uint8Array(0);
  return new Uint8Array(row.part.buffer, row.part.byteOffset, row.part.byteLength);
}
