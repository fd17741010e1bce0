import type { FastifyInstance } from "fastify";
import { sql } from "drizzle-orm";
import { expectedMigrationCount } from "@zlh/db";

/** /healthz: the process is up. /readyz: the database answers and has every migration applied. */
export default async function healthRoutes(app: FastifyInstance) {
  const expected = await expectedMigrationCount();
  app.get("/healthz", { schema: { hide: true } }, async () => ({ ok: true }));
  app.get("/readyz", { schema: { hide: true } }, async (_request, reply) => {
    try {
      const [row] = await app.deps.db.execute<{ applied: number }>(
        sql`select count(*)::int as applied from drizzle.__drizzle_migrations`,
      );
      const applied = row?.applied ?? 0;
      if (applied < expected) {
        return reply.status(503).send({ error: "unavailable", message: `Database has ${applied} of ${expected} migrations applied.` });
      }
      return { ok: true, migrations: applied };
    } catch {
      return reply.status(503).send({ error: "unavailable", message: "The database is not reachable." });
    }
  });
}
