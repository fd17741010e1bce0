import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import { PROTOCOL_VERSION } from "@zlh/protocol";
import { Agent } from "../../src/agent";
import { loadAgentConfig } from "../../src/config";
import { SimRuntime } from "../../src/runtime/sim";

/**
 * A control plane's gateway reduced to what a test scripts: a websocket
 * server on loopback that hands each agent message to `onMessage`. `welcome`
 * answers a hello as the real gateway does (the session's lease TTL, nothing
 * confirmed).
 */
export interface FakeControlPlane {
  url: string;
  /** Every socket an agent opened, in order. */
  sockets: WebSocket[];
  welcome(ws: WebSocket, leaseTtlMs: number): void;
  send(ws: WebSocket, message: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startFakeControlPlane(onMessage: (m: { type: string } & Record<string, unknown>, ws: WebSocket) => void): Promise<FakeControlPlane> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => server.once("listening", () => r()));
  const sockets: WebSocket[] = [];
  server.on("connection", (ws) => {
    sockets.push(ws);
    ws.on("message", (data) => onMessage(JSON.parse(data.toString()), ws));
  });
  const send = (ws: WebSocket, message: Record<string, unknown>) => ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...message }));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    sockets,
    send,
    welcome: (ws, leaseTtlMs) => send(ws, { type: "welcome", sessionId: "s", hostId: "h", leaseTtlMs, confirmed: [] }),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A real agent on the sim runtime, dialling `url`, with a fresh state directory or `stateDir` (an earlier agent's); stop it with `shutdown(0)`. */
export async function simAgent(url: string, stateDir?: string): Promise<{ agent: Agent; runtime: SimRuntime; stateDir: string }> {
  stateDir ??= await mkdtemp(join(tmpdir(), "zlh-agent-"));
  const runtime = new SimRuntime({ root: join(stateDir, "sim") });
  const config = loadAgentConfig({ ZLH_CONTROL_URL: url, ZLH_AGENT_TOKEN: "t", ZLH_RUNTIME: "sim", ZLH_STATE_DIR: stateDir, ZLH_ARTIFACT_SOURCE: "offline" });
  return { agent: new Agent(config, runtime, pino({ level: "silent" })), runtime, stateDir };
}
