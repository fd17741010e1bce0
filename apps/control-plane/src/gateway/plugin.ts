import { randomUUID } from "node:crypto";
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { modpackUploadSizeForHost, neoforgeFileSizeForHost, startAgentSession, type Db } from "@zlh/db";
import { InstallerFileNotFoundError, ModpackNotFoundError } from "@zlh/domain";
import { authenticateAgent } from "./agentAuth";
import { neoforgeFileStream, uploadedPackStream } from "./packStream";
import { AgentSession, SessionRefusedError } from "./agentSession";
import type { SessionRegistry } from "./sessionRegistry";
import type { Metrics } from "../metrics/metrics";
import type { SecretsKeyring } from "../secrets/sealedSecrets";

declare module "fastify" {
  interface FastifyRequest {
    agentHost?: { id: string; name: string; tokenHash: string };
  }
}

export interface GatewayOptions {
  db: Db;
  secretsKeys: SecretsKeyring;
  registry: SessionRegistry;
  leaseTtlMs: number;
  metrics: Metrics;
  backupRetention: { keep: number; maxAgeDays: number };
}

/**
 * The agent gateway: `GET /v1/agent` upgraded to a websocket. The agent's
 * host token (Authorization: Bearer) is checked before the upgrade; a wrong
 * or revoked token gets a plain 401 and no socket.
 */
export const agentGateway = fp<GatewayOptions>(async (app: FastifyInstance, opts) => {
  await app.register(websocket, { options: { maxPayload: 4 * 1024 * 1024 } });
  const agentOnly = authenticateAgent(opts.db);
  // An uploaded modpack, for the agent that extracts its overrides (docs/modpacks.md): only one of its own live servers'
  // packs, streamed in slices (uploadedPackStream) so concurrent agents never make the control plane hold packs whole.
  // The hash is a query parameter: 128 characters is past Fastify's route parameter limit (maxParamLength 100).
  app.get<{ Querystring: { sha512?: string } }>(
    "/v1/agent/modpack",
    { schema: { hide: true, operationId: "agentDownloadModpack" }, preValidation: agentOnly },
    async (request, reply) => {
      const sha512 = String(request.query.sha512 ?? "");
      const size = /^[0-9a-f]{128}$/.test(sha512) ? await modpackUploadSizeForHost(opts.db, request.agentHost!.id, sha512) : null;
      if (size === null) throw new ModpackNotFoundError(`No server of this host uses an uploaded modpack ${sha512.slice(0, 128)}.`);
      return reply.header("content-type", "application/x-modrinth-modpack+zip").header("content-length", size).send(uploadedPackStream(opts.db, sha512, size));
    },
  );
  // A file NeoForge's installer made (docs/server-types.md#neoforge), scoped and streamed as the modpack route is: only one a
  // server of this host places, in slices (a library the installer made can be tens of MB).
  app.get<{ Querystring: { sha512?: string } }>(
    "/v1/agent/neoforge-file",
    { schema: { hide: true, operationId: "agentDownloadNeoforgeFile" }, preValidation: agentOnly },
    async (request, reply) => {
      const sha512 = String(request.query.sha512 ?? "");
      const size = /^[0-9a-f]{128}$/.test(sha512) ? await neoforgeFileSizeForHost(opts.db, request.agentHost!.id, sha512) : null;
      if (size === null) throw new InstallerFileNotFoundError(`No server of this host places a NeoForge installer file ${sha512.slice(0, 128)}.`);
      return reply.header("content-type", "application/octet-stream").header("content-length", size).send(neoforgeFileStream(opts.db, sha512, size));
    },
  );
  app.get(
    "/v1/agent",
    {
      websocket: true,
      schema: { hide: true },
      preValidation: agentOnly,
    },
    async (socket, request) => {
      const host = request.agentHost!;
      const sessionId = randomUUID();
      const started = startAgentSession(opts.db, host.id, sessionId, host.tokenHash).then((ok) => {
        if (!ok) throw new SessionRefusedError("the agent token was rotated or revoked while connecting");
      });
      const deps = { db: opts.db, secretsKeys: opts.secretsKeys, leaseTtlMs: opts.leaseTtlMs, log: request.log, metrics: opts.metrics, backupRetention: opts.backupRetention };
      const session = new AgentSession(socket, host.id, sessionId, deps, started);
      session.tokenHash = host.tokenHash;
      socket.on("close", () => {
        opts.registry.remove(session);
        opts.metrics.connectedAgents.set(opts.registry.size);
        void session.ended();
      });
      opts.registry.add(session);
      opts.metrics.connectedAgents.set(opts.registry.size);
      session.log.info({ hostName: host.name }, "agent connected");
    },
  );
});
