import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import rateLimit from "@fastify/rate-limit";
import { RateLimitedError } from "@zlh/domain";

declare module "fastify" {
  interface FastifyInstance {
    /** Counts a request against its API client's budget; throws rate_limited over it. Called by the auth hook. */
    limitClient(request: import("fastify").FastifyRequest, reply: import("fastify").FastifyReply): Promise<void>;
  }
}

/**
 * Two budgets a minute, per control-plane process (@fastify/rate-limit's
 * in-memory store): per source address on every route before anything else
 * runs (an unauthenticated flood, agent upgrades included, costs no database
 * query past it), and per API client by name after authentication (all of
 * a client's tokens share one budget). Health routes are exempt. The
 * `x-ratelimit-*` headers a client sees are its own budget's (limit,
 * remaining, seconds to reset); the per-address budget says only
 * `retry-after`, on its 429.
 */
export const rateLimitsPlugin = fp<{ perAddress: number; perClient: number }>(async (app: FastifyInstance, opts) => {
  await app.register(rateLimit, {
    global: true,
    hook: "onRequest",
    max: opts.perAddress,
    timeWindow: 60_000,
    addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
    addHeaders: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false, "retry-after": true },
    errorResponseBuilder: (_request, ctx) => new RateLimitedError(`Too many requests from this address; retry in ${ctx.after}.`),
  });
  const check = app.createRateLimit({ max: opts.perClient, timeWindow: 60_000, keyGenerator: (request) => `client:${request.client?.name ?? ""}` });
  app.decorate("limitClient", async (request, reply) => {
    const limit = await check(request);
    // isAllowed means "on the allow list"; otherwise the limit has been counted.
    if (limit.isAllowed) return;
    const seconds = Math.max(1, Math.ceil(limit.ttl / 1000));
    void reply.header("x-ratelimit-limit", String(limit.max));
    void reply.header("x-ratelimit-remaining", String(limit.remaining));
    void reply.header("x-ratelimit-reset", String(seconds));
    if (!limit.isExceeded) return;
    void reply.header("retry-after", String(seconds));
    throw new RateLimitedError(`The client ${JSON.stringify(request.client?.name)} made more than ${opts.perClient} requests this minute; retry in ${seconds} s.`);
  });
});
