import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ErrorBody, ListServersQuery, Server, ServerEvents, ServerIdParams, ServerList } from "@zlh/api";
import { listServerEvents, listServers } from "@zlh/db";
import { InvalidRequestError } from "@zlh/domain";
import { decodeCursor, encodeCursor } from "../../servers/cursor";
import { isoTime, presentServer } from "../../servers/present";
import { loadServer } from "../../servers/loadServer";

export default async function readServerRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    "/v1/servers/:id",
    { schema: { tags: ["servers"], params: ServerIdParams, response: { 200: Server, 404: ErrorBody } } },
    async (request) => presentServer(await loadServer(app.deps.db, request.params.id), app.deps.config.leaseTtlMs),
  );

  app.get(
    "/v1/servers",
    { schema: { tags: ["servers"], querystring: ListServersQuery, response: { 200: ServerList, 400: ErrorBody } } },
    async (request) => {
      const { customerId, status, cursor } = request.query;
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
      if (!(limit >= 1 && limit <= 500)) throw new InvalidRequestError("limit must be between 1 and 500.");
      const { rows, more } = await listServers(app.deps.db, {
        customerId,
        status,
        limit,
        afterSeq: cursor === undefined ? undefined : decodeCursor(cursor),
      });
      const last = rows.at(-1);
      return { items: rows.map((r) => presentServer(r, app.deps.config.leaseTtlMs)), nextCursor: more && last ? encodeCursor(last.seq) : null };
    },
  );

  app.get(
    "/v1/servers/:id/events",
    { schema: { tags: ["servers"], params: ServerIdParams, response: { 200: ServerEvents, 404: ErrorBody } } },
    async (request) => {
      const server = await loadServer(app.deps.db, request.params.id);
      const events = await listServerEvents(app.deps.db, server.id);
      return { items: events.map((e) => ({ type: e.type, at: isoTime(e.at), data: e.data })) };
    },
  );
}
