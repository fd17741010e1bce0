import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "@zlh/db";
import { openSse, type SseOptions } from "../http/sse";
import { readEventPage } from "./feed";

export interface StreamOptions {
  /** How often an idle stream looks for new events. */
  pollMs: number;
  /** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
  keepAliveMs: number;
}

/**
 * A server-sent-events stream of the feed: every event as `id: <event id>`
 * and `data: <the event as JSON>`, starting after `after` (the
 * `Last-Event-ID` a reconnecting EventSource sends, or `?after=`). It reads
 * the same gapless feed as GET /v1/events, a page at a time, and ends when
 * the client goes, its token is revoked (`guard`), it reaches its longest
 * life, or `closing` fires (the control plane stopping).
 */
export async function streamEvents(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  from: { after: string | null; serverId?: string },
  opts: StreamOptions,
  closing: AbortSignal,
  guard: Omit<SseOptions, "retryMs">,
): Promise<void> {
  const serverId = from.serverId;
  // Check the cursor before committing to a 200 stream: a bad one is a 400 like anywhere else.
  let page = await readEventPage(db, { after: from.after, limit: 500, serverId });
  const sse = openSse(request, reply, closing, { ...guard, retryMs: Math.max(1000, opts.pollMs) });
  let lastWrite = Date.now();
  try {
    while (!sse.gone.aborted) {
      for (const e of page.items) sse.send(JSON.stringify(e), e.id);
      if (page.items.length > 0) lastWrite = Date.now();
      if (!page.hasMore) {
        if (Date.now() - lastWrite >= opts.keepAliveMs) {
          sse.keepAlive();
          lastWrite = Date.now();
        }
        await sse.sleep(opts.pollMs);
      }
      if (sse.gone.aborted) break;
      page = await readEventPage(db, { after: page.nextCursor, limit: 500, serverId });
    }
  } catch (err) {
    request.log.warn({ err }, "event stream ended by an error");
  } finally {
    sse.end();
  }
}
