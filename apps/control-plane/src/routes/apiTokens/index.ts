import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ApiToken, ApiTokenIdParams, ApiTokenList, CreateApiTokenBody, CreatedApiToken, ErrorBody } from "@zlh/api";
import { createApiToken, listApiTokens, revokeApiToken, type ApiTokenRow } from "@zlh/db";
import { asClient } from "../../db/asClient";
import { ApiTokenNotFoundError } from "@zlh/domain";
import { newToken, sha256Hex } from "../../http/tokens";
import { isoTime } from "../../servers/present";

const present = (t: ApiTokenRow) => ({
  id: t.id,
  client: t.client_name,
  scope: t.scope,
  createdAt: isoTime(t.created_at),
  revokedAt: t.revoked_at ? isoTime(t.revoked_at) : null,
});

/** API tokens kept in the database: created (shown once), listed, revoked. Admin only. */
export default async function apiTokenRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const config = { scope: "admin" as const };

  app.post(
    "/v1/api-tokens",
    { config, schema: { tags: ["api tokens"], operationId: "createApiToken", summary: "Create an API token for a client (shown once)", body: CreateApiTokenBody, response: { 201: CreatedApiToken } } },
    async (request, reply) => {
      const token = newToken("zlh");
      const row = await asClient(app.deps.db, request.client!.name, (tx) => createApiToken(tx, request.body.client, request.body.scope, sha256Hex(token)));
      request.log.info({ tokenId: row.id, apiClient: row.client_name, scope: row.scope }, "api token created");
      return reply.status(201).send({ ...present(row), token });
    },
  );

  app.get("/v1/api-tokens", { config, schema: { tags: ["api tokens"], operationId: "listApiTokens", summary: "List the API tokens kept in the database (never the tokens themselves)", response: { 200: ApiTokenList } } }, async () => ({
    items: (await listApiTokens(app.deps.db)).map(present),
  }));

  app.delete(
    "/v1/api-tokens/:id",
    { config, schema: { tags: ["api tokens"], operationId: "revokeApiToken", summary: "Revoke an API token (refused from the next request on)", params: ApiTokenIdParams, response: { 200: ApiToken, 404: ErrorBody } } },
    async (request) => {
      const id = request.params.id;
      const row = /^[0-9a-f-]{36}$/.test(id)
        ? await asClient(app.deps.db, request.client!.name, (tx) => revokeApiToken(tx, id))
        : null;
      if (!row) throw new ApiTokenNotFoundError(id);
      request.log.info({ tokenId: row.id, apiClient: row.client_name }, "api token revoked");
      return present(row);
    },
  );
}
