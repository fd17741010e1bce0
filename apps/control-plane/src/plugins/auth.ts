import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { findApiClientByTokenHash, type Db } from "@zlh/db";
import { ForbiddenError, scopeAllows, UnauthorizedError, type ApiScope } from "@zlh/domain";
import type { ApiClientToken } from "../config";
import { bearerToken, matchTokenHash, sha256Hex } from "../http/tokens";

export interface ApiClient {
  /** What idempotency keys, events (`actor`), request logs and rate limits are keyed on. */
  name: string;
  scope: ApiScope;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The authenticated API client (null before authentication and on open routes). */
    client: ApiClient | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; default `read` for GET/HEAD, `panel` otherwise. */
    scope?: ApiScope;
  }
}

export function neededScope(request: FastifyRequest): ApiScope {
  return request.routeOptions.config?.scope ?? (request.method === "GET" || request.method === "HEAD" ? "read" : "panel");
}

/**
 * Who is calling, and may they: bearer tokens from ZLH_API_TOKENS (matched
 * in memory, in constant time over all of them) or from the database
 * (api_tokens, by hash, so a revocation is immediate); then the client's
 * rate limit (plugins/rateLimits.ts); then the route's scope. Registered inside the /v1 scope only, so /healthz, /readyz, /docs
 * stay open.
 */
export const authPlugin = fp<{ clients: readonly ApiClientToken[]; db: Db }>(async (app: FastifyInstance, opts) => {
  const known = opts.clients.map((c) => Buffer.from(sha256Hex(c.token), "hex"));
  const byHash = new Map(opts.clients.map((c) => [sha256Hex(c.token), { name: c.name, scope: c.scope }]));
  app.decorateRequest("client", null);
  app.addHook("onRequest", async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError();
    const matched = matchTokenHash(token, known);
    const client = matched ? byHash.get(matched)! : await findApiClientByTokenHash(opts.db, sha256Hex(token));
    if (!client) throw new UnauthorizedError();
    request.client = client;
    await app.limitClient(request, reply);
    const need = neededScope(request);
    if (!scopeAllows(client.scope, need)) {
      throw new ForbiddenError(`The client ${JSON.stringify(client.name)} has the ${client.scope} scope; ${request.method} ${request.routeOptions.url ?? request.url} needs ${need}.`);
    }
  });
});
