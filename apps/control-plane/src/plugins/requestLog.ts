import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

const QUIET_ROUTES = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * One log line per request, when its response is sent: who called (the API
 * client's name), what (method and route pattern, not the raw URL), how it
 * ended (status) and how long it took. Health checks and scrapes, which come
 * every few seconds, are logged at debug. The same measurement feeds the
 * HTTP latency histogram (by route pattern, so its labels stay bounded).
 */
export const requestLogPlugin = fp(async (app: FastifyInstance) => {
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? request.url.split("?")[0];
    const fields = {
      apiClient: request.client?.name,
      method: request.method,
      route,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (QUIET_ROUTES.has(route ?? "")) request.log.debug(fields, "request");
    else request.log.info(fields, "request");
    app.deps.metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
});
