import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Caller } from "@zlh/api";

/**
 * GET /v1/whoami: the calling client and its scope, so a user interface
 * (the operator console) can hide what the token may not do instead of
 * letting every button end in 403. Any API token may ask (read scope).
 */
export default async function whoamiRoute(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    "/v1/whoami",
    { schema: { tags: ["api tokens"], operationId: "getCaller", summary: "The calling client's name and scope", response: { 200: Caller } } },
    async (request) => ({ client: request.client!.name, scope: request.client!.scope }),
  );
}
