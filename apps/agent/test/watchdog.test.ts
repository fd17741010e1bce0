import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { PROTOCOL_VERSION } from "@zlh/protocol";
import { Agent } from "../src/agent";
import { loadAgentConfig } from "../src/config";
import { SimRuntime } from "../src/runtime/sim";

describe("agent liveness", () => {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  afterAll(() => new Promise((r) => server.close(r)));

  it("reconnects when the control plane goes silent on an open socket", async () => {
    let connections = 0;
    server.on("connection", (ws) => {
      connections++;
      ws.on("message", (data) => {
        const m = JSON.parse(data.toString());
        // Welcome the agent, then never answer again (a control plane stuck on its database).
        if (m.type === "hello") ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "welcome", sessionId: "s", hostId: "h", leaseTtlMs: 300, confirmed: [] }));
      });
    });
    const { port } = server.address() as { port: number };
    const stateDir = await mkdtemp(join(tmpdir(), "zlh-agent-"));
    const config = loadAgentConfig({ ZLH_CONTROL_URL: `http://127.0.0.1:${port}`, ZLH_AGENT_TOKEN: "t", ZLH_RUNTIME: "sim", ZLH_STATE_DIR: stateDir, ZLH_ARTIFACT_SOURCE: "offline" });
    const agent = new Agent(config, new SimRuntime({ root: join(stateDir, "sim") }), pino({ level: "silent" }));
    agent.start();
    const deadline = Date.now() + 8000;
    while (connections < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await agent.shutdown(0);
    expect(connections).toBeGreaterThanOrEqual(2);
  });
});
