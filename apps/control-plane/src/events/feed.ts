import { listEvents, listServerHistory, type Db, type FeedEventRow } from "@zlh/db";
import { InvalidCursorError, type EventType } from "@zlh/domain";
import type { Event } from "@zlh/api";
import { isoTime } from "../servers/present";

export function presentEvent(e: FeedEventRow): Event {
  return {
    id: e.id,
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

/** One page of the feed (all servers, or one), or of one server's history, as the API returns it. */
export async function readEventPage(db: Db, q: { after: string | null; limit: number; serverId?: string; history?: boolean }) {
  const page = q.history && q.serverId ? await listServerHistory(db, q.serverId, q.after, q.limit) : await listEvents(db, q);
  if (!page.cursorKnown) throw new InvalidCursorError();
  const items = page.rows.map(presentEvent);
  return { items, nextCursor: items.at(-1)?.id ?? q.after, hasMore: page.more };
}
