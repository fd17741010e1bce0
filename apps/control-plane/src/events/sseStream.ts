import type { FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "@zlh/db";
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
 * the client goes or `closing` fires (the control plane stopping).
 */
export async function streamEvents(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  from: { after: string | null; serverId?: string },
  opts: StreamOptions,
  closing: AbortSignal,
): Promise<void> {
  let cursor = from.after;
  const serverId = from.serverId;
  // Check the cursor before committing to a 200 stream: a bad one is a 400 like anywhere else.
  let page = await readEventPage(db, { after: cursor, limit: 500, serverId });
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write(`retry: ${Math.max(1000, opts.pollMs)}\n\n`);
  const gone = new AbortController();
  const stop = () => gone.abort();
  request.raw.once("close", stop);
  closing.addEventListener("abort", stop, { once: true });
  let lastWrite = Date.now();
  try {
    while (!gone.signal.aborted) {
      for (const e of page.items) res.write(`id: ${e.id}\ndata: ${JSON.stringify(e)}\n\n`);
      if (page.items.length > 0) lastWrite = Date.now();
      cursor = page.nextCursor;
      if (!page.hasMore) {
        if (Date.now() - lastWrite >= opts.keepAliveMs) {
          res.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
        await sleep(opts.pollMs, gone.signal);
      }
      if (gone.signal.aborted) break;
      page = await readEventPage(db, { after: cursor, limit: 500, serverId });
    }
  } catch (err) {
    request.log.warn({ err }, "event stream ended by an error");
  } finally {
    request.raw.off("close", stop);
    closing.removeEventListener("abort", stop);
    res.end();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
