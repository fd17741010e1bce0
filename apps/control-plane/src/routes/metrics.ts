import type { FastifyInstance } from "fastify";

/**
 * GET /metrics: the Prometheus text exposition format. Behind a `metrics`
 * token (a scraper's, good for nothing else) or an admin token, unless ZLH_METRICS_PUBLIC=true, where app.ts registers
 * it outside authentication for a scraper on a private network.
 */
export default async function metricsRoute(app: FastifyInstance) {
  app.get(
    "/metrics",
    {
      config: { scope: "metrics", rateLimit: false },
      schema: { tags: ["health"], operationId: "getMetrics", summary: "Prometheus metrics (text exposition format); metrics or admin token unless ZLH_METRICS_PUBLIC=true", produces: ["text/plain"] },
    },
    async (_request, reply) => {
      const { registry } = app.deps.metrics;
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    },
  );
}
