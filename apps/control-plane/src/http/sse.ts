import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Why a stream ended, as its final `event: end` message says (`data: {"reason", "message"}`). */
export type StreamEndReason = "token_revoked" | "token_unverified" | "max_duration" | "shutting_down" | "log_unavailable" | "read_failed";

/** What a stream may hold written but not yet taken by its client (beyond the socket's own buffers). */
export const MAX_UNREAD_BYTES = 1024 * 1024;

export interface SseLimits {
  /** The token is checked again this often; a revoked or removed one ends the stream. */
  recheckMs: number;
  /** A stream ends after this long (the client reconnects with Last-Event-ID). */
  maxDurationMs: number;
}

export interface SseOptions extends SseLimits {
  /** The `retry:` an EventSource waits before reconnecting. */
  retryMs: number;
  /** Whether the stream's token still allows it (plugins/auth.ts stillAuthorized). */
  stillAuthorized: () => Promise<boolean>;
}

export interface SseStream {
  /** Aborted when the client goes or stops reading, the token is revoked, the stream is too old, or the control plane stops. */
  readonly gone: AbortSignal;
  /** One message: `id:` (when given) and one `data:` line per line of `data`. Nothing once the stream is gone. */
  send(data: string, id?: string): void;
  /** A comment line, so that proxies and idle timeouts keep a quiet stream open. */
  keepAlive(): void;
  /** Waits `ms`, or less if the stream is gone meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Ends the stream with a final `event: end` message saying why (the loop then calls end()). */
  finish(reason: StreamEndReason, message: string): void;
  end(): void;
}

/**
 * Takes the response over as a server-sent-events stream (the caller has
 * already answered any error as JSON). Nothing a client opens outlives its
 * token or its welcome: the token is checked again every `recheckMs` (a
 * revoked database token ends the stream with `event: end`, reason
 * `token_revoked`, then the response ends), and the stream ends after
 * `maxDurationMs` (`max_duration`; an EventSource reconnects and resumes).
 * `closing` ends it when the control plane stops, so that shutting down
 * never waits on a client.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, closing: AbortSignal, opts: SseOptions): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" });
  res.write(`retry: ${opts.retryMs}\n\n`);
  const controller = new AbortController();
  const gone = controller.signal;
  const write = (text: string) => {
    if (gone.aborted || res.destroyed) return;
    res.write(text);
    // A client that does not read would have us buffer its stream without bound: it is cut off
    // (nothing more can reach it, so no final message), and reconnects when it reads again.
    if (res.writableLength > MAX_UNREAD_BYTES) {
      request.log.warn({ apiClient: request.client?.name, buffered: res.writableLength }, "stream cut off: its client does not read");
      controller.abort();
      res.destroy();
    }
  };
  const finish = (reason: StreamEndReason, message: string) => {
    if (gone.aborted) return;
    write(`event: end\ndata: ${JSON.stringify({ reason, message })}\n\n`);
    request.log.info({ reason, apiClient: request.client?.name }, "stream ended");
    controller.abort();
  };
  const clientGone = () => controller.abort();
  const shuttingDown = () => finish("shutting_down", "The control plane is stopping; reconnect to resume.");
  request.raw.once("close", clientGone);
  closing.addEventListener("abort", shuttingDown, { once: true });
  const tooOld = setTimeout(() => finish("max_duration", `A stream lasts at most ${opts.maxDurationMs} ms; reconnect to resume.`), opts.maxDurationMs);
  let checking = false;
  const recheck = setInterval(() => {
    if (checking || gone.aborted) return;
    checking = true;
    opts
      .stillAuthorized()
      .then(
        (ok) => ok || finish("token_revoked", "The token this stream was opened with was revoked or removed."),
        (err: unknown) => {
          // Fail closed: a stream whose token cannot be checked does not go on.
          request.log.warn({ err: (err as Error).message }, "could not check a stream's token");
          finish("token_unverified", "The token could not be checked again; reconnect.");
        },
      )
      .finally(() => (checking = false));
  }, opts.recheckMs);
  if (closing.aborted) shuttingDown();
  return {
    gone,
    send(data, id) {
      // Every line terminator SSE knows (CR, LF, CRLF) starts a new data: line, so no byte of `data`
      // (a console log line is the customer's) can start a field of its own (id:, event:, retry:).
      write(`${id === undefined ? "" : `id: ${id}\n`}${data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join("\n")}\n\n`);
    },
    keepAlive() {
      write(": keep-alive\n\n");
    },
    sleep(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          gone.removeEventListener("abort", done);
          resolve();
        }
        gone.addEventListener("abort", done, { once: true });
      });
    },
    finish,
    end() {
      clearTimeout(tooOld);
      clearInterval(recheck);
      request.raw.off("close", clientGone);
      closing.removeEventListener("abort", shuttingDown);
      controller.abort();
      if (!res.destroyed) res.end();
    },
  };
}

/** A signal aborted when the control plane starts closing: streams end then, so closing never waits on a client. */
export function closingSignal(app: FastifyInstance): AbortSignal {
  const closing = new AbortController();
  app.addHook("preClose", async () => closing.abort());
  return closing.signal;
}
