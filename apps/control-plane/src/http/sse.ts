import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export interface SseStream {
  /** Aborted when the client goes or the control plane stops. */
  readonly gone: AbortSignal;
  /** One message: `id:` (when given) and one `data:` line per line of `data`. */
  send(data: string, id?: string): void;
  /** A comment line, so that proxies and idle timeouts keep a quiet stream open. */
  keepAlive(): void;
  /** Waits `ms`, or less if the stream is gone meanwhile. */
  sleep(ms: number): Promise<void>;
  end(): void;
}

/**
 * Takes the response over as a server-sent-events stream (the caller has
 * already answered any error as JSON). `closing` ends it when the control
 * plane stops, so that shutting down never waits on a client.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, closing: AbortSignal, retryMs: number): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" });
  res.write(`retry: ${retryMs}\n\n`);
  const controller = new AbortController();
  const stop = () => controller.abort();
  request.raw.once("close", stop);
  closing.addEventListener("abort", stop, { once: true });
  return {
    gone: controller.signal,
    send(data, id) {
      res.write(`${id === undefined ? "" : `id: ${id}\n`}${data.split("\n").map((l) => `data: ${l}`).join("\n")}\n\n`);
    },
    keepAlive() {
      res.write(": keep-alive\n\n");
    },
    sleep(ms) {
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          controller.signal.removeEventListener("abort", done);
          resolve();
        }
        controller.signal.addEventListener("abort", done, { once: true });
      });
    },
    end() {
      request.raw.off("close", stop);
      closing.removeEventListener("abort", stop);
      res.end();
    },
  };
}

/** A signal aborted when the control plane starts closing: streams end then, so closing never waits on a client. */
export function closingSignal(app: FastifyInstance): AbortSignal {
  const closing = new AbortController();
  app.addHook("preClose", async () => closing.abort());
  return closing.signal;
}
