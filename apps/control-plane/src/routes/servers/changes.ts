import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, ServerChangeList, ServerIdParams, ServerPageQuery } from "@zlh/api";
import { listChanges, type ChangeRow } from "@zlh/db";
import { decodeCursor, encodeCursor } from "../../servers/cursor";
import { isoTime } from "../../servers/present";
import { loadServer } from "../../servers/loadServer";
import { keysetPage } from "../../servers/page";

const present = (c: ChangeRow) => ({
  generation: c.generation,
  status: c.status,
  reason: c.reason,
  changes: c.changes,
  requestedAt: isoTime(c.created_at),
  endedAt: c.ended_at ? isoTime(c.ended_at) : null,
});

/** GET /v1/servers/:id/changes: every change (PATCH) of a server, newest first, with how it ended; the server itself shows only one in progress. */
export default async function changeHistoryRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/servers/:id/changes",
    {
      schema: {
        tags: ["servers"],
        operationId: "listServerChanges",
        summary: "The server's changes (PATCH), newest first, a page at a time: each with what it changed and where it is or how it ended",
        params: ServerIdParams,
        querystring: ServerPageQuery,
        response: { 200: ServerChangeList, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const before = request.query.cursor === undefined ? undefined : Number(decodeCursor(request.query.cursor));
      const server = await loadServer(app.deps.db, request.params.id);
      const rows = await listChanges(app.deps.db, server.id, { beforeGeneration: before, limit: limit + 1 });
      const { page, nextCursor } = keysetPage(rows, limit, (last) => encodeCursor(String(last.generation)));
      return { items: page.map(present), nextCursor };
    },
  );
}
