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
    /** How the client was recognised: what a long request (a stream) checks again while it lasts. */
    credential: Credential | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; default `read` for GET/HEAD, `panel` otherwise. */
    scope?: ApiScope;
  }
}

/** The presented token, by hash: one of ZLH_API_TOKENS (fixed for the process's life) or a database token (revocable). */
export interface Credential {
  tokenHash: string;
  fromDatabase: boolean;
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
  app.decorateRequest("credential", null);
  app.addHook("onRequest", async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError();
    const matched = matchTokenHash(token, known);
    const tokenHash = matched ?? sha256Hex(token);
    const client = matched ? byHash.get(matched)! : await findApiClientByTokenHash(opts.db, tokenHash);
    if (!client) throw new UnauthorizedError();
    request.client = client;
    request.credential = { tokenHash, fromDatabase: !matched };
    await app.limitClient(request, reply);
    const need = neededScope(request);
    if (!scopeAllows(client.scope, need)) {
      throw new ForbiddenError(`The client ${JSON.stringify(client.name)} has the ${client.scope} scope; ${request.method} ${request.routeOptions.url ?? request.url} needs ${need}.`);
    }
  });
});

/**
 * Whether the request's token still lets its client do what the request
 * does: a ZLH_API_TOKENS token always (the process's configuration does not
 * change under it), a database token while it is neither revoked nor
 * removed. Long requests (event and log streams) ask this every few seconds.
 */
export async function stillAuthorized(db: Db, request: FastifyRequest): Promise<boolean> {
  const { client, credential } = request;
  if (!client || !credential) return false;
  if (!credential.fromDatabase) return true;
  const now = await findApiClientByTokenHash(db, credential.tokenHash);
  return now !== null && now.name === client.name && scopeAllows(now.scope, neededScope(request));
}
