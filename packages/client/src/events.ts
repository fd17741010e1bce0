import { createParser, type EventSourceMessage } from "eventsource-parser";
import { errorOf } from "./errors";
import { retryDelayMs, sleep } from "./retry";
import type { components } from "./schema";

export type Event = components["schemas"]["Event"];

export interface FollowOptions {
  /** Only this server's events. */
  serverId?: string;
  /** Start after this event id (a nextCursor or the last id seen); default: what the stream starts with. */
  after?: string;
  /** Ends the iteration (and the connection). */
  signal?: AbortSignal;
  /** Reconnections in a row without an event before giving up (default 10). */
  maxReconnects?: number;
}

interface Connection {
  baseUrl: string;
  token: string;
  fetch: (request: Request) => Promise<Response>;
}

/** Why the control plane ends a stream for good: the token no longer allows it. Others (max_duration, shutting_down) are reconnected. */
const FINAL_REASONS = new Set(["token_revoked", "token_unverified"]);

/**
 * The event feed live (GET /v1/events/stream) as an async iterator that
 * survives dropped connections: it reconnects with Last-Event-ID, the id of
 * the last event it yielded, so nothing is missed and nothing repeats;
 * waits what the server's `retry:` says (or Retry-After on a 429/503), and
 * gives up after `maxReconnects` attempts in a row that brought no event.
 * A 4xx other than 429 throws ZlhApiError; so does a revoked token.
 */
export async function* followEvents(conn: Connection, options: FollowOptions = {}): AsyncGenerator<Event> {
  const { signal } = options;
  let lastId = options.after;
  let retryMs = 1000;
  let failures = 0;
  const maxReconnects = options.maxReconnects ?? 10;
  while (!signal?.aborted) {
    const url = new URL("/v1/events/stream", conn.baseUrl);
    if (options.serverId) url.searchParams.set("serverId", options.serverId);
    const headers: Record<string, string> = { authorization: `Bearer ${conn.token}`, accept: "text/event-stream" };
    if (lastId !== undefined) headers["last-event-id"] = lastId;
    let wait = retryMs;
    try {
      const res = await conn.fetch(new Request(url, { headers, ...(signal ? { signal } : {}) }));
      if (res.status === 429 || res.status === 503) {
        wait = retryDelayMs(res, failures);
        await res.body?.cancel();
      } else if (!res.ok || !res.body) {
        throw await errorOf(res);
      } else {
        const queue: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (m) => queue.push(m), onRetry: (ms) => (retryMs = ms) });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          for (const message of queue.splice(0)) {
            if (message.event === "end") {
              const reason = (JSON.parse(message.data) as { reason?: string; message?: string }) ?? {};
              if (FINAL_REASONS.has(reason.reason ?? "")) throw await errorOf(new Response(null, { status: 401 }), { error: "unauthorized", message: reason.message ?? "The stream's token was revoked." });
              continue;
            }
            if (message.event !== undefined && message.event !== "message") continue;
            const event = JSON.parse(message.data) as Event;
            lastId = message.id ?? event.id;
            failures = 0;
            yield event;
          }
        }
        wait = retryMs;
      }
    } catch (err) {
      if (signal?.aborted) return;
      // A dropped connection is reconnected; an answer the API gave is the caller's.
      if (err instanceof Error && err.name === "ZlhApiError") throw err;
    }
    if (++failures > maxReconnects) throw new Error(`The event stream could not be resumed after ${maxReconnects} attempts.`);
    await sleep(Math.min(wait, 30_000), signal);
  }
}
