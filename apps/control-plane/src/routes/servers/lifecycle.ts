import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ChangeServerBody, ErrorBody, IdempotencyKeyHeader, OptionalIdempotencyKeyHeader, ReinstallBody, Server, ServerIdParams } from "@zlh/api";
import { answerOnce } from "../../http/answerOnce";
import { changeServer } from "../../servers/changeServer";
import { presentServer } from "../../servers/present";
import { assertServerId } from "../../servers/loadServer";
import { recordIntentIn, requestIntent, type Action } from "../../servers/requestIntent";

const ACTIONS: Action[] = ["start", "stop", "restart"];

export default async function lifecycleRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const schema = { tags: ["servers"], params: ServerIdParams, response: { 202: Server, 404: ErrorBody, 409: ErrorBody } };

  app.delete("/v1/servers/:id", { schema: { ...schema, operationId: "deleteServer", summary: "Delete a server (repeatable)" } }, async (request, reply) => {
    const server = await requestIntent(app.deps, request.params.id, "delete", request.client!.name);
    request.log.info({ serverId: server.id, generation: server.generation }, "server delete requested");
    return reply.status(202).send(presentServer(server, app.deps.config));
  });

  app.patch(
    "/v1/servers/:id",
    {
      schema: {
        ...schema,
        operationId: "changeServer", summary: "Change a server (version, loader, mods, properties, resources): a new generation, rolled back if it does not come up",
        headers: IdempotencyKeyHeader,
        body: ChangeServerBody,
        response: { 202: Server, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 422: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { server, replayed } = await changeServer(app.deps, request.params.id, request.client!.name, request.headers["idempotency-key"], request.body);
      request.log.info({ serverId: server.id, generation: server.generation, replayed }, replayed ? "server change replayed" : "server change requested");
      return reply.status(202).send(presentServer(server, app.deps.config));
    },
  );

  app.post(
    "/v1/servers/:id/reinstall",
    {
      schema: {
        ...schema,
        operationId: "reinstallServer", summary: "Reinstall: place the current manifest again from scratch and start (the world is kept unless wipe)",
        body: ReinstallBody,
      },
      // No body at all means the defaults, as `{}` would.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request, reply) => {
      const wipe = request.body.wipe ?? false;
      const server = await requestIntent(app.deps, request.params.id, "reinstall", request.client!.name, { wipe });
      request.log.info({ serverId: server.id, generation: server.generation, wipe }, "server reinstall requested");
      return reply.status(202).send(presentServer(server, app.deps.config));
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `/v1/servers/:id/${action}`,
      {
        schema: {
          ...schema,
          operationId: `${action}Server`,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a server (once per Idempotency-Key: a retry answers as the first did)`,
          headers: OptionalIdempotencyKeyHeader,
          response: { ...schema.response, 422: ErrorBody },
        },
      },
      async (request, reply) => {
        const id = request.params.id;
        assertServerId(id);
        const client = request.client!.name;
        const { answer, replayed } = await answerOnce(app.deps.db, client, request.headers["idempotency-key"], { route: action, serverId: id }, async (tx) =>
          presentServer(await recordIntentIn(tx, app.deps, id, action), app.deps.config),
        );
        request.log.info({ serverId: id, generation: answer.generation, action, replayed }, replayed ? "server intent replayed" : "server intent recorded");
        return reply.status(202).send(answer);
      },
    );
  }
}
