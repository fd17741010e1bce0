import type { FastifyInstance, FastifyRequest } from "fastify";
import type { SseOptions } from "../http/sse";
import { stillAuthorized } from "../plugins/auth";

/** What every SSE route's stream is held to: its token checked again, and a longest life (config `streams`). */
export function streamOptions(app: FastifyInstance, request: FastifyRequest, retryMs: number): SseOptions {
  const { tokenRecheckMs, maxDurationMs } = app.deps.config.streams;
  return { retryMs, recheckMs: tokenRecheckMs, maxDurationMs, stillAuthorized: () => stillAuthorized(app.deps.db, request) };
}
