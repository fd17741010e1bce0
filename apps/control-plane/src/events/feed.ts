import { feedHead, listEvents, type Db, type FeedEventRow } from "@zlh/db";
import { CursorExpiredError, InvalidCursorError, type EventType } from "@zlh/domain";
import type { Event } from "@zlh/api";
import { invalidFields } from "../http/validationMessages";
import { isoTime } from "../servers/present";

export function presentEvent(e: FeedEventRow): Event {
  return {
    id: e.position,
    // Written only by recordEvent and SQL that the event-type test checks against EVENT_TYPES.
    type: e.type as EventType,
    at: isoTime(e.at),
    serverId: e.server_id,
    hostId: e.host_id,
    operationId: e.operation_id,
    actor: e.actor,
    data: e.data,
  };
}

/** The query's limit (1-1000, checked by its schema), or the route's default. */
export function pageLimit(limit: number | undefined, fallback: number): number {
  return limit ?? fallback;
}

/**
 * Where a read of the feed starts: after `after` (a position), at the feed's
 * end for `from=now`, or at its start. Both at once is a 400.
 */
export async function feedStart(db: Db, q: { after?: string | null; from?: "now" }): Promise<string | null> {
  if (q.from === "now") {
    if (q.after != null) throw invalidFields({ field: "query.after", message: "cannot be given with from=now (give one or the other)" });
    return feedHead(db);
  }
  return q.after ?? null;
}

/** One page of the feed (all servers, or one), as the API returns it. */
export async function readEventPage(db: Db, q: { after: string | null; limit: number; serverId?: string }) {
  const page = await listEvents(db, q);
  if (!page.cursorKnown) throw new InvalidCursorError();
  if (page.cursorExpired) throw new CursorExpiredError();
  const items = page.rows.map(presentEvent);
  return { items, nextCursor: items.at(-1)?.id ?? q.after, hasMore: page.more };
}
