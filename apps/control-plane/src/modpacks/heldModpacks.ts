import type { HeldModpackUpload } from "@zlh/db";
import { timeKeyCursor } from "../servers/cursor";

/** An upload as a customer's list shows it: when the sweep would remove it (null while a live server of theirs keeps it). */
export function presentHeldModpack(r: HeldModpackUpload, retentionMs: number) {
  const summary = r.summary as { name: string; version: string; minecraftVersion: string; loader: { name: string; version: string } };
  const uploadedAt = new Date(r.uploaded_at);
  return {
    id: r.sha512,
    sha512: r.sha512,
    size: r.size,
    name: summary.name,
    version: summary.version,
    minecraftVersion: summary.minecraftVersion,
    loader: summary.loader,
    uploadedAt: uploadedAt.toISOString(),
    expiresAt: r.in_use ? null : new Date(uploadedAt.getTime() + retentionMs).toISOString(),
    inUse: r.in_use,
  };
}

const byUpload = timeKeyCursor("m", "[0-9a-f]{128}");

/** The list's keyset cursor: the last item's (upload time as Postgres wrote it, to the microsecond, sha512), opaque to the panel. */
export const uploadCursor = {
  encode: (uploadedAt: string, sha512: string) => byUpload.encode(uploadedAt, sha512),
  decode(cursor: string): { uploadedAt: string; sha512: string } {
    const { at, key } = byUpload.decode(cursor);
    return { uploadedAt: at, sha512: key };
  },
};
