import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { findApiClientByTokenHash, findConsoleGrant, type Db } from "@zlh/db";
import { ForbiddenError, scopeAllows, UnauthorizedError, type ApiScope } from "@zlh/domain";
import type { ApiClientToken } from "../config";
import { bearerToken, consoleCookie, matchTokenHash, sha256Hex } from "../http/tokens";

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
    /** A console token opens this route (on its own server only). */
    console?: true;
    /** The route checks a token in its body itself (POST /v1/console/session). */
    tokenInBody?: true;
  }
}

/** The presented token, by hash: one of ZLH_API_TOKENS (fixed for the process's life) or a database token (revocable). */
export interface Credential {
  tokenHash: string;
  fromDatabase: boolean;
  /** A console token (routes/servers/consoleTokens.ts): one server's console, until it expires or is revoked. */
  console?: true;
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
    if (request.routeOptions.config?.tokenInBody) return;
    const token = bearerToken(request.headers.authorization) ?? (request.routeOptions.config?.console ? consoleCookie(request.headers.cookie) : null);
    if (!token) throw new UnauthorizedError();
    const matched = matchTokenHash(token, known);
    const tokenHash = matched ?? sha256Hex(token);
    const client = matched ? byHash.get(matched)! : await findApiClientByTokenHash(opts.db, tokenHash);
    if (!client) {
      await consoleClient(opts.db, request, tokenHash);
      return app.limitClient(request, reply);
    }
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
 * A console token: it acts as its issuer's client with the panel scope, on
 * the console routes of its own server only. Not rate limited apart from
 * the client's own (a browser follows one log and sends a few commands).
 */
async function consoleClient(db: Db, request: FastifyRequest, tokenHash: string): Promise<void> {
  const grant = await findConsoleGrant(db, tokenHash);
  if (!grant) throw new UnauthorizedError();
  if (!grant.live) throw new UnauthorizedError("The console token has expired or was revoked; ask the panel for a new one.");
  const where = `${request.method} ${request.routeOptions.url ?? request.url}`;
  if (!request.routeOptions.config?.console) throw new ForbiddenError(`A console token opens only its server's log and commands, not ${where}.`);
  if ((request.params as { id?: string }).id !== grant.serverId) throw new ForbiddenError(`This console token opens the console of server ${grant.serverId} only.`);
  request.client = { name: grant.clientName, scope: "panel" };
  request.credential = { tokenHash, fromDatabase: true, console: true };
}

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
  if (credential.console) return (await findConsoleGrant(db, credential.tokenHash))?.live === true;
  const now = await findApiClientByTokenHash(db, credential.tokenHash);
  return now !== null && now.name === client.name && scopeAllows(now.scope, neededScope(request));
}
