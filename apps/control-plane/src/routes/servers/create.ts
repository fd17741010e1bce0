import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { CreateServerBody, ErrorBody, IdempotencyKeyHeader, Server } from "@zlh/api";
import { createServerOnce } from "../../servers/createServerOnce";
import { presentServer } from "../../servers/present";

export default async function createServerRoute(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    "/v1/servers",
    {
      schema: {
        tags: ["servers"],
        operationId: "createServer", summary: "Create a server (idempotent per Idempotency-Key)",
        headers: IdempotencyKeyHeader,
        body: CreateServerBody,
        response: { 202: Server, 400: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const { server, replayed } = await createServerOnce(app.deps, request.client!.name, key, request.body);
      request.log.info({ serverId: server.id, replayed }, replayed ? "server create replayed" : "server created");
      return reply.status(202).send(presentServer(server, app.deps.config));
    },
  );
}
