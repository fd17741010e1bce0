import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { UnauthorizedError } from "@zlh/domain";
import { bearerToken, matchTokenHash, sha256Hex } from "../http/tokens";

declare module "fastify" {
  interface FastifyRequest {
    /** sha256 of the caller's API token: idempotency keys are scoped to it. */
    callerId: string;
  }
}

/**
 * Bearer-token authentication for the panel API. Registered inside the /v1
 * scope only, so /healthz, /readyz and /docs stay open.
 */
export const authPlugin = fp<{ apiTokens: readonly string[] }>(async (app: FastifyInstance, opts) => {
  const known = opts.apiTokens.map((t) => Buffer.from(sha256Hex(t), "hex"));
  app.decorateRequest("callerId", "");
  app.addHook("onRequest", async (request) => {
    const token = bearerToken(request.headers.authorization);
    const callerId = token ? matchTokenHash(token, known) : null;
    if (!callerId) throw new UnauthorizedError();
    request.callerId = callerId;
  });
});
