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

/** A Postgres timestamp as it writes one, to the microsecond: keys compared in SQL, never re-parsed by JavaScript (which keeps milliseconds). */
const PG_TIMESTAMP = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?[+-]\d{2}(?::\d{2})?`;

/**
 * A keyset cursor by time: the last item's (timestamp, id), opaque to the
 * panel. `tag` keeps one list's cursor from being read as another's; `id`
 * is the pattern of the list's tiebreaking id.
 */
export function timeKeyCursor(tag: string, id: string) {
  const shape = new RegExp(`^${tag}:(${PG_TIMESTAMP})\\|(${id})$`);
  return {
    encode: (at: string, key: string) => Buffer.from(`${tag}:${at}|${key}`).toString("base64url"),
    decode(cursor: string): { at: string; key: string } {
      const m = shape.exec(Buffer.from(cursor, "base64url").toString("utf8"));
      if (!m?.[1] || !m[2]) throw new InvalidCursorError();
      return { at: m[1], key: m[2] };
    },
  };
}

/** Hosts and backups: by creation time, then uuid. */
const byCreation = timeKeyCursor("h", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

/** A page cursor by creation time (hosts, backups): the last item's (created_at as Postgres wrote it, to the microsecond, id), opaque to the panel. */
export function encodeTimeCursor(createdAt: string, id: string): string {
  return byCreation.encode(createdAt, id);
}

export function decodeTimeCursor(cursor: string): { createdAt: string; id: string } {
  const { at, key } = byCreation.decode(cursor);
  return { createdAt: at, id: key };
}
