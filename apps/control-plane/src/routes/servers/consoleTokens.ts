import type { FastifyInstance } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { ConsoleSession, ConsoleSessionBody, ConsoleToken, ConsoleTokenParams, ErrorBody, RevokedConsoleToken, ServerIdParams } from "@zlh/api";
import { createConsoleToken, findConsoleGrant, revokeConsoleToken } from "@zlh/db";
import { ApiTokenNotFoundError, ServerNotFoundError, UnauthorizedError } from "@zlh/domain";
import { CONSOLE_COOKIE, newToken, sha256Hex } from "../../http/tokens";
import { loadServer } from "../../servers/loadServer";
import { isoTime } from "../../servers/present";

const UUID = /^[0-9a-f-]{36}$/;

/**
 * Console tokens, as Wings hands out websocket tokens: the panel asks for a
 * short-lived token for one server's console and gives it to the customer's
 * browser, which follows the log and sends commands itself. The browser
 * trades the token for an HttpOnly cookie (EventSource cannot set headers,
 * and a token in a URL ends up in logs and histories).
 */
export default async function consoleTokenRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    "/v1/servers/:id/console-tokens",
    {
      config: { scope: "panel" },
      schema: {
        tags: ["console"],
        operationId: "createConsoleToken",
        summary: "A short-lived token for this server's console only (log read, log stream, commands), for a browser",
        params: ServerIdParams,
        response: { 201: ConsoleToken, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const server = await loadServer(app.deps.db, request.params.id);
      if (server.status === "deleting" || server.status === "deleted") throw new ServerNotFoundError(server.id);
      const token = newToken("zlhc");
      const credential = request.credential!;
      const row = await createConsoleToken(app.deps.db, {
        serverId: server.id,
        clientName: request.client!.name,
        tokenHash: sha256Hex(token),
        parentTokenHash: credential.fromDatabase ? credential.tokenHash : null,
        ttlMs: app.deps.config.console.tokenTtlMs,
      });
      request.log.info({ serverId: server.id, consoleTokenId: row.id }, "console token created");
      return reply.status(201).send({ id: row.id, token, expiresAt: isoTime(row.expires_at) });
    },
  );

  app.delete(
    "/v1/servers/:id/console-tokens/:tokenId",
    {
      config: { scope: "panel" },
      schema: {
        tags: ["console"],
        operationId: "revokeConsoleToken",
        summary: "Revoke a console token: refused from the next request on, its open log streams end",
        params: ConsoleTokenParams,
        response: { 200: RevokedConsoleToken, 404: ErrorBody },
      },
    },
    async (request) => {
      const { id, tokenId } = request.params;
      const row = UUID.test(id) && UUID.test(tokenId) ? await revokeConsoleToken(app.deps.db, id, tokenId) : null;
      if (!row) throw new ApiTokenNotFoundError(tokenId);
      request.log.info({ serverId: id, consoleTokenId: tokenId }, "console token revoked");
      return { id: row.id, revokedAt: isoTime(row.revoked_at!) };
    },
  );

  app.post(
    "/v1/console/session",
    {
      config: { tokenInBody: true },
      schema: {
        tags: ["console"],
        operationId: "openConsoleSession",
        summary: "Trade a console token for an HttpOnly cookie on its server's console paths (what a browser's EventSource sends)",
        body: ConsoleSessionBody,
        response: { 200: ConsoleSession, 401: ErrorBody },
      },
    },
    async (request, reply) => {
      const grant = await findConsoleGrant(app.deps.db, sha256Hex(request.body.token));
      if (!grant?.live) throw new UnauthorizedError("The console token is unknown, expired or revoked; ask the panel for a new one.");
      const maxAge = Math.max(1, Math.floor((Date.parse(isoTime(grant.expiresAt)) - Date.now()) / 1000));
      const secure = request.protocol === "https" ? "; Secure" : "";
      reply.header("set-cookie", `${CONSOLE_COOKIE}=${request.body.token}; Path=/v1/servers/${grant.serverId}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`);
      reply.header("cache-control", "no-store");
      return { serverId: grant.serverId, expiresAt: isoTime(grant.expiresAt) };
    },
  );
}
