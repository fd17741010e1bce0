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
