import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, ServerIdParams, StatsHistory, StatsQuery } from "@zlh/api";
import { serverStatsHistory } from "@zlh/db";
import { loadServer } from "../../servers/loadServer";

/** A server's live figures over the last minutes, for a console's chart (docs/live-stats.md). */
export default async function statsRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/servers/:id/stats",
    {
      schema: { tags: ["servers"], operationId: "getServerStats", summary: "The server's live figures of the last `window` seconds (at most 30 minutes), oldest first", params: ServerIdParams, querystring: StatsQuery, response: { 200: StatsHistory, 400: ErrorBody, 404: ErrorBody } },
    },
    async (request) => {
      // The schema holds the window to 60-1800 (400 invalid_request naming query.window, as every parameter).
      const window = request.query.window ?? 1800;
      const server = await loadServer(app.deps.db, request.params.id);
      const items = await serverStatsHistory(app.deps.db, server.id, new Date(Date.now() - window * 1000));
      return { items: (items ?? []) as never };
    },
  );
}
