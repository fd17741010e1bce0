import { listEvents, listServerHistory, type Db, type FeedEventRow } from "@zlh/db";
import { InvalidCursorError, InvalidRequestError } from "@zlh/domain";
import type { Event } from "@zlh/api";
import { isoTime } from "../servers/present";

export function presentEvent(e: FeedEventRow): Event {
  return {
    id: e.id,
    type: e.type,
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

/** One page of the feed (all servers, or one), or of one server's history, as the API returns it. */
export async function readEventPage(db: Db, q: { after: string | null; limit: number; serverId?: string; history?: boolean }) {
  const page = q.history && q.serverId ? await listServerHistory(db, q.serverId, q.after, q.limit) : await listEvents(db, q);
  if (!page.cursorKnown) throw new InvalidCursorError();
  const items = page.rows.map(presentEvent);
  return { items, nextCursor: items.at(-1)?.id ?? q.after, hasMore: page.more };
}
