import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, EventPage, EventsQuery, ListServersQuery, Server, ServerIdParams, ServerList } from "@zlh/api";
import { listServers } from "@zlh/db";
import { decodeCursor, encodeCursor } from "../../servers/cursor";
import { presentServer } from "../../servers/present";
import { pageLimit, readEventPage } from "../../events/feed";
import { loadServer } from "../../servers/loadServer";
import { nextCursorOf } from "../../servers/page";

export default async function readServerRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    "/v1/servers/:id",
    { schema: { tags: ["servers"], operationId: "getServer", summary: "A server: its status, desired state, resources, ports and health", params: ServerIdParams, response: { 200: Server, 404: ErrorBody } } },
    async (request) => presentServer(await loadServer(app.deps.db, request.params.id), app.deps.config),
  );

  app.get(
    "/v1/servers",
    { schema: { tags: ["servers"], operationId: "listServers", summary: "List servers (by customer, by exact name, by status), a page at a time; deleted ones only with status=deleted or include=deleted", querystring: ListServersQuery, response: { 200: ServerList, 400: ErrorBody } } },
    async (request) => {
      const { customerId, name, status, cursor, include } = request.query;
      const limit = request.query.limit ?? 50;
      const { rows, more } = await listServers(app.deps.db, {
        customerId,
        name,
        status,
        includeDeleted: include === "deleted",
        limit,
        afterSeq: cursor === undefined ? undefined : decodeCursor(cursor),
      });
      return { items: rows.map((r) => presentServer(r, app.deps.config)), nextCursor: nextCursorOf(rows, more, (last) => encodeCursor(last.seq)) };
    },
  );

  app.get(
    "/v1/servers/:id/events",
    {
      schema: {
        tags: ["servers"],
        operationId: "listServerEvents", summary: "One server's events (its audit trail) by id, after a cursor; to follow one live, use /v1/events?serverId=",
        params: ServerIdParams,
        querystring: EventsQuery,
        response: { 200: EventPage, 400: ErrorBody, 404: ErrorBody, 410: ErrorBody },
      },
    },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      return readEventPage(app.deps.db, { after: request.query.after ?? null, limit: pageLimit(request.query.limit, 500), serverId: server.id });
    },
  );
}
