import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/**
 * HTTP as clients expect it, on every route:
 * - every response carries `x-request-id`, the id its log lines carry
 *   (http/requestId.ts takes a sane incoming one);
 * - a body that is not JSON is 415 unsupported_media_type (Fastify's own
 *   text/plain parser is removed: it let text reach a JSON route's schema,
 *   which answered 400);
 * - a path that exists under other methods is 405 with `Allow` listing
 *   them; only a path that exists under none is 404.
 */
export const httpShapePlugin = fp(async (app: FastifyInstance) => {
  app.removeContentTypeParser("text/plain");
  app.addHook("onRequest", async (request, reply) => {
    // On the raw response, so streams (which take the response over) carry it too.
    reply.raw.setHeader("x-request-id", request.id);
  });

  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook("onRoute", (route) => {
    const source = `^${route.url
      .split("/")
      .map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}/?$`;
    let entry = routes.find((r) => r.pattern.source === source);
    if (!entry) routes.push((entry = { pattern: new RegExp(source), methods: new Set() }));
    for (const m of [route.method].flat()) entry.methods.add(m);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const allowed = new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]));
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(", ");
      return reply
        .status(405)
        .header("allow", allow)
        .send({ error: "method_not_allowed", message: `${path} does not take ${request.method}; it takes ${allow}.` });
    }
    return reply.status(404).send({ error: "not_found", message: `No route for ${request.method} ${path}.` });
  });
});
