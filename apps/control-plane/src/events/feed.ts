import { feedHead, listEvents, type Db, type FeedEventRow } from "@zlh/db";
import { InvalidCursorError, InvalidRequestError } from "@zlh/domain";
import type { Event } from "@zlh/api";
import { isoTime } from "../servers/present";

export function presentEvent(e: FeedEventRow): Event {
  return {
    id: e.position,
    type: e.type as Event["type"],
    at: isoTime(e.at),
    serverId: e.server_id,
    hostId: e.host_id,
    operationId: e.operation_id,
    actor: e.actor,
    data: e.data,
  };
}

export function pageLimit(raw: string | undefined, fallback: number): number {
  const limit = raw === undefined ? fallback : Number(raw);
  if (!(limit >= 1 && limit <= 1000)) throw new InvalidRequestError("limit must be between 1 and 1000.");
  return limit;
}

/**
 * Where a read of the feed starts: after `after` (a position), at the feed's
 * end for `from=now`, or at its start. Both at once is a 400.
 */
export async function feedStart(db: Db, q: { after?: string | null; from?: "now" }): Promise<string | null> {
  if (q.from === "now") {
    if (q.after != null) throw new InvalidRequestError("Give after or from=now, not both.");
    return feedHead(db);
  }
  return q.after ?? null;
}

/** One page of the feed (all servers, or one), as the API returns it. */
export async function readEventPage(db: Db, q: { after: string | null; limit: number; serverId?: string }) {
  const page = await listEvents(db, q);
  if (!page.cursorKnown) throw new InvalidCursorError();
  const items = page.rows.map(presentEvent);
  return { items, nextCursor: items.at(-1)?.id ?? q.after, hasMore: page.more };
}
