import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { inventoryDigest, markerFor, PROTOCOL_VERSION } from "@zlh/protocol";
import { Agent } from "../src/agent";
import { loadAgentConfig } from "../src/config";
import { SimRuntime } from "../src/runtime/sim";

/** Cheap heartbeats: the inventory is sent when it changes or is asked for; otherwise only its digest. */
describe("agent heartbeats and the inventory", () => {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  afterAll(() => new Promise((r) => server.close(r)));

  it("sends the digest while nothing changes, the list when a container appears, and the list again when asked", async () => {
    const beats: { inventory?: unknown[]; inventoryDigest?: string }[] = [];
    let socket: WebSocket | undefined;
    server.on("connection", (ws) => {
      socket = ws;
      ws.on("message", (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === "hello") ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "welcome", sessionId: "s", hostId: "h", leaseTtlMs: 300, confirmed: [] }));
        if (m.type === "heartbeat") {
          beats.push(m);
          ws.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "heartbeat.ack", renewed: [], lost: [] }));
        }
      });
    });
    const { port } = server.address() as { port: number };
    const stateDir = await mkdtemp(join(tmpdir(), "zlh-agent-"));
    const runtime = new SimRuntime({ root: join(stateDir, "sim") });
    const config = loadAgentConfig({ ZLH_CONTROL_URL: `http://127.0.0.1:${port}`, ZLH_AGENT_TOKEN: "t", ZLH_RUNTIME: "sim", ZLH_STATE_DIR: stateDir, ZLH_ARTIFACT_SOURCE: "offline" });
    const agent = new Agent(config, runtime, pino({ level: "silent" }));
    agent.start();
    const waitBeats = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (beats.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      await waitBeats(3);
      // hello carried the (empty) list; unchanged since, the heartbeats carry its digest only.
      expect(beats.slice(0, 3).every((b) => b.inventory === undefined && b.inventoryDigest === inventoryDigest([]))).toBe(true);

      await runtime.create({ vmid: 7301, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor("5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91") });
      const seen = beats.length;
      await waitBeats(seen + 3);
      const changed = beats.slice(seen);
      expect(changed[0]!.inventory ?? changed[1]!.inventory).toEqual([{ vmid: 7301, state: "stopped", serverId: "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91" }]);
      expect(changed.at(-1)).toMatchObject({ inventoryDigest: expect.any(String) });
      expect(changed.at(-1)!.inventory).toBeUndefined();

      // The control plane lost track (its digest differs): it asks, and the next heartbeat carries the list.
      socket!.send(JSON.stringify({ v: PROTOCOL_VERSION, type: "heartbeat.ack", renewed: [], lost: [], inventoryWanted: true }));
      const asked = beats.length;
      await waitBeats(asked + 2);
      expect(beats.slice(asked).some((b) => Array.isArray(b.inventory))).toBe(true);
    } finally {
      await agent.shutdown(0);
    }
  });
});
