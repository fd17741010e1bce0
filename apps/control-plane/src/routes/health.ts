import type { FastifyInstance } from "fastify";
import Type from "typebox";
import { sql } from "drizzle-orm";
import { expectedMigrationCount } from "@zlh/db";
import { ErrorBody } from "@zlh/api";
import { ZLH_VERSION } from "@zlh/process";

const open = { security: [], tags: ["health"] };
const exempt = { rateLimit: false } as const;

/**
 * /healthz: the process is up (liveness; never touches the database, so a
 * database outage does not get every control plane restarted). /readyz: the
 * database answers and has every migration this version expects (readiness:
 * a load balancer sends traffic only then). Open, and exempt from rate limits.
 */
export default async function healthRoutes(app: FastifyInstance) {
  const expected = await expectedMigrationCount();
  app.get(
    "/healthz",
    {
      config: exempt,
      schema: { ...open, operationId: "getHealth", summary: "Liveness: the process is up, and its version", response: { 200: Type.Object({ ok: Type.Literal(true), version: Type.String() }) } },
    },
    async () => ({ ok: true as const, version: ZLH_VERSION }),
  );
  app.get(
    "/readyz",
    {
      config: exempt,
      schema: {
        ...open,
        operationId: "getReadiness", summary: "Readiness: the database answers and has every migration applied",
        response: { 200: Type.Object({ ok: Type.Literal(true), migrations: Type.Integer(), version: Type.String() }), 503: ErrorBody },
      },
    },
    async (_request, reply) => {
      try {
        const [row] = await app.deps.db.execute<{ applied: number }>(sql`select count(*)::int as applied from drizzle.__drizzle_migrations`);
        const applied = row?.applied ?? 0;
        if (applied < expected) {
          return reply.status(503).send({ error: "unavailable", message: `Database has ${applied} of ${expected} migrations applied.` });
        }
        return { ok: true as const, migrations: applied, version: ZLH_VERSION };
      } catch {
        return reply.status(503).send({ error: "unavailable", message: "The database is not reachable." });
      }
    },
  );
}
