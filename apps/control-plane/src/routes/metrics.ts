import type { FastifyInstance } from "fastify";

/**
 * GET /metrics: the Prometheus text exposition format. Behind an admin token
 * (the route's scope) unless ZLH_METRICS_PUBLIC=true, where app.ts registers
 * it outside authentication for a scraper on a private network.
 */
export default async function metricsRoute(app: FastifyInstance) {
  app.get(
    "/metrics",
    {
      config: { scope: "admin", rateLimit: false },
      schema: { tags: ["health"], operationId: "getMetrics", summary: "Prometheus metrics (text exposition format); admin token unless ZLH_METRICS_PUBLIC=true", produces: ["text/plain"] },
    },
    async (_request, reply) => {
      const { registry } = app.deps.metrics;
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    },
  );
}
