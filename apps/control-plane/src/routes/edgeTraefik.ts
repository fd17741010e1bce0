import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, TraefikDynamicConfig } from "@zlh/api";
import { listRoutableServers } from "@zlh/db";
import { EdgeNotConfiguredError } from "@zlh/domain";
import { traefikConfig } from "../edge/traefik";

/**
 * GET /v1/edge/traefik: Traefik's HTTP provider polls this for its dynamic
 * configuration (see edge/traefik.ts), with a bearer token of the `read`
 * scope in its `headers` option. Traefik sends no If-None-Match (it hashes
 * each body and skips an unchanged one, so the body is deterministic); the
 * ETag is for pollers that do, who get 304 and no body. Body and ETag are
 * built once per change of the database, not per poll.
 */
export default async function edgeTraefikRoute(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/edge/traefik",
    {
      config: { scope: "read" },
      schema: {
        tags: ["edge"],
        operationId: "getTraefikConfig",
        summary: "Traefik's dynamic configuration (HTTP provider): a TCP router and service per running server",
        response: { 200: TraefikDynamicConfig, 304: { type: "null", description: "Unchanged since the ETag sent in If-None-Match." }, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const naming = app.deps.config.edgeNaming;
      if (!naming) throw new EdgeNotConfiguredError();
      const build = async () => {
        const body = traefikConfig(await listRoutableServers(app.deps.db), naming);
        return { body, etag: `"${createHash("sha256").update(JSON.stringify(body)).digest("base64url").slice(0, 27)}"` };
      };
      // Kept until a server's edge inputs change (edge/bodyCache.ts): a poll every few seconds reads nothing then.
      const { body: config, etag } = app.deps.traefikCache ? await app.deps.traefikCache.get(build) : await build();
      reply.header("etag", etag).header("cache-control", "no-cache");
      const sent = request.headers["if-none-match"];
      if (sent !== undefined && sent.split(",").some((t) => t.trim().replace(/^W\//, "") === etag)) return reply.code(304).send(null);
      return config;
    },
  );
}
