import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
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
 * A file an agent downloads by its sha512 (`?sha512=`), only one a server of its own host uses: anything else,
 * like a malformed hash, is the route's 404. `find` answers the body (and its size when it is streamed).
 */
interface AgentFileRoute {
  path: string;
  operationId: string;
  contentType: string;
  find(db: Db, hostId: string, sha512: string): Promise<{ body: Readable; size: number } | null>;
  notFound(sha512: string): Error;
}

const AGENT_FILE_ROUTES: AgentFileRoute[] = [
  {
    // An uploaded modpack, for the agent that extracts its overrides (docs/modpacks.md): streamed in slices
    // (uploadedPackStream) so concurrent agents never make the control plane hold packs whole.
    path: "/v1/agent/modpack",
    operationId: "agentDownloadModpack",
    contentType: "application/x-modrinth-modpack+zip",
    async find(db, hostId, sha512) {
      const size = await modpackUploadSizeForHost(db, hostId, sha512);
      return size === null ? null : { body: uploadedPackStream(db, sha512, size), size };
    },
    notFound: (sha512) => new ModpackNotFoundError(`No server of this host uses an uploaded modpack ${sha512}.`),
  },
  {
    // A file NeoForge's installer made (docs/server-types.md#neoforge), streamed in slices as a pack is (a library
    // the installer made can be tens of MB).
    path: "/v1/agent/neoforge-file",
    operationId: "agentDownloadNeoforgeFile",
    contentType: "application/octet-stream",
    async find(db, hostId, sha512) {
      const size = await neoforgeFileSizeForHost(db, hostId, sha512);
      return size === null ? null : { body: neoforgeFileStream(db, sha512, size), size };
    },
    notFound: (sha512) => new InstallerFileNotFoundError(`No server of this host places a NeoForge installer file ${sha512}.`),
  },
];

/**
 * The agent gateway: `GET /v1/agent` upgraded to a websocket. The agent's
 * host token (Authorization: Bearer) is checked before the upgrade; a wrong
 * or revoked token gets a plain 401 and no socket.
 */
export const agentGateway = fp<GatewayOptions>(async (app: FastifyInstance, opts) => {
  await app.register(websocket, { options: { maxPayload: 4 * 1024 * 1024 } });
  const agentOnly = authenticateAgent(opts.db);
  for (const route of AGENT_FILE_ROUTES) {
    // The hash is a query parameter: 128 characters is past Fastify's route parameter limit (maxParamLength 100).
    app.get<{ Querystring: { sha512?: string } }>(route.path, { schema: { hide: true, operationId: route.operationId }, preValidation: agentOnly }, async (request, reply) => {
      const sha512 = String(request.query.sha512 ?? "");
      const file = /^[0-9a-f]{128}$/.test(sha512) ? await route.find(opts.db, request.agentHost!.id, sha512) : null;
      if (!file) throw route.notFound(sha512.slice(0, 128));
      return reply.header("content-type", route.contentType).header("content-length", file.size).send(file.body);
    });
  }
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
