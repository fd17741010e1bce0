import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** The console routes a browser on the panel's origin calls; no other route answers CORS. */
const CONSOLE_PATH = /^\/v1\/(servers\/[^/]+\/(logs|logs\/stream|commands)|console\/session)\/?$/;

/**
 * CORS for the console routes only, for the origins in ZLH_CONSOLE_ORIGINS,
 * with credentials (the console cookie). A preflight is answered here,
 * before authentication (a browser sends it without credentials).
 * Registered at the root, before the /v1 scope and its auth hook.
 */
export const consoleCorsPlugin = fp<{ origins: readonly string[] }>(async (app: FastifyInstance, opts) => {
  const allowed = new Set(opts.origins);
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed.has(origin) || !CONSOLE_PATH.test(request.url.split("?")[0] ?? "")) return;
    // On the raw response, so the log stream (which takes the response over) carries them too.
    reply.raw.setHeader("access-control-allow-origin", origin);
    reply.raw.setHeader("access-control-allow-credentials", "true");
    reply.raw.setHeader("vary", "Origin");
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"]) {
      return reply
        .status(204)
        .header("access-control-allow-methods", "GET, POST")
        .header("access-control-allow-headers", "content-type, last-event-id")
        .header("access-control-max-age", "600")
        .send();
    }
  });
});
