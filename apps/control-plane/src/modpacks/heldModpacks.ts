import type { HeldModpackUpload } from "@zlh/db";
import { InvalidCursorError } from "@zlh/domain";

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

/** The list's keyset cursor: the last item's (upload time as Postgres wrote it, to the microsecond, sha512), opaque to the panel. */
export const uploadCursor = {
  encode: (uploadedAt: string, sha512: string) => Buffer.from(`m:${uploadedAt}|${sha512}`).toString("base64url"),
  decode(cursor: string): { uploadedAt: string; sha512: string } {
    const m = /^m:(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}(?::\d{2})?)\|([0-9a-f]{128})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
    if (!m?.[1] || !m[2]) throw new InvalidCursorError();
    return { uploadedAt: m[1], sha512: m[2] };
  },
};
