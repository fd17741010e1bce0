import postgres from "postgres";
import { TEST_SECRETS_KEY, testDatabase } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane, type ControlPlane } from "@zlh/control-plane";
import { api, createServer, enroll, type Api } from "./api";
import { ADMIN_TOKEN, waitFor } from "./processes";
import type { RawAgent } from "./rawAgent";

export interface ProtocolPlane {
  plane: ControlPlane;
  call: Api;
  sql: postgres.Sql;
  /** One host enrolled for the hand-driven agent. */
  host: { id: string; agentToken: string };
  close(): Promise<void>;
}

/** A control plane on its own database, with one host enrolled, for protocol tests that drive a RawAgent. */
export async function startProtocolPlane(hostName: string, env: Record<string, string> = {}): Promise<ProtocolPlane> {
  const url = await testDatabase();
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const config = loadConfig({ DATABASE_URL: url, PORT: "0", HOST: "127.0.0.1", ZLH_API_TOKENS: ADMIN_TOKEN, ZLH_SECRETS_KEY: TEST_SECRETS_KEY, ZLH_ARTIFACT_SOURCE: "offline", LOG_LEVEL: "silent", ...env });
  const plane = await startControlPlane(config, createLogger("silent", "test"));
  const call = api(plane.url);
  const host = await enroll(call, hostName);
  return {
    plane,
    call,
    sql,
    host,
    async close() {
      await plane.close();
      await sql.end();
    },
  };
}

/** A new server (on the plane's one host) and the lease of its provision, granted to `agent`. */
export async function leaseNewServer(p: ProtocolPlane, agent: RawAgent) {
  const server = await createServer(p.call);
  await waitFor(async () => (await p.sql`select 1 from operations where server_id = ${server.id}`).length > 0, 10_000, "operation");
  const [op] = (await agent.lease()).filter((o) => o.serverId === server.id);
  if (!op) throw new Error("the new server's operation was not granted");
  return { server, op };
}
