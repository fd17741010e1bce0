import { InvalidCursorError } from "@zlh/domain";

/**
 * Keyset cursors: the `seq` of the last server on the page, opaque to the
 * panel. Keyset rather than offset, so pages stay stable while servers are
 * created and cost the same however deep the panel pages.
 */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`).toString("base64url");
}

export function decodeCursor(cursor: string): string {
  const m = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m?.[1]) throw new InvalidCursorError();
  return m[1];
}

/** A page cursor by creation time (hosts, backups): the last item's (created_at as Postgres wrote it, to the microsecond, id), opaque to the panel. */
export function encodeTimeCursor(createdAt: string, id: string): string {
  return Buffer.from(`h:${createdAt}|${id}`).toString("base64url");
}

export function decodeTimeCursor(cursor: string): { createdAt: string; id: string } {
  const m = /^h:(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}(?::\d{2})?)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m?.[1] || !m[2]) throw new InvalidCursorError();
  return { createdAt: m[1], id: m[2] };
}
