import { randomUUID } from "node:crypto";
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { startAgentSession, type Db } from "@zlh/db";
import { authenticateAgent } from "./agentAuth";
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
  publishToEdge: boolean;
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
  app.get(
    "/v1/agent",
    {
      websocket: true,
      schema: { hide: true },
      preValidation: authenticateAgent(opts.db),
    },
    async (socket, request) => {
      const host = request.agentHost!;
      const sessionId = randomUUID();
      const started = startAgentSession(opts.db, host.id, sessionId, host.tokenHash).then((ok) => {
        if (!ok) throw new SessionRefusedError("the agent token was rotated or revoked while connecting");
      });
      const deps = { db: opts.db, publishToEdge: opts.publishToEdge, secretsKeys: opts.secretsKeys, leaseTtlMs: opts.leaseTtlMs, log: request.log, metrics: opts.metrics, backupRetention: opts.backupRetention };
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
