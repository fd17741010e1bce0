import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { inventoryDigest, markerFor } from "@zlh/protocol";
import { simAgent, startFakeControlPlane, type FakeControlPlane } from "./support/fakeControlPlane";

/** Cheap heartbeats: the inventory is sent when it changes or is asked for; otherwise only its digest. */
describe("agent heartbeats and the inventory", () => {
  const beats: { inventory?: unknown[]; inventoryDigest?: string }[] = [];
  let socket: WebSocket | undefined;
  let cp: FakeControlPlane;
  beforeAll(async () => {
    cp = await startFakeControlPlane((m, ws) => {
      socket = ws;
      if (m.type === "hello") cp.welcome(ws, 300);
      if (m.type === "heartbeat") {
        beats.push(m as { inventory?: unknown[]; inventoryDigest?: string });
        cp.send(ws, { type: "heartbeat.ack", renewed: [], lost: [] });
      }
    });
  });
  afterAll(() => cp.close());

  it("sends the digest while nothing changes, the list when a container appears, and the list again when asked", async () => {
    const { agent, runtime } = await simAgent(cp.url);
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
      cp.send(socket!, { type: "heartbeat.ack", renewed: [], lost: [], inventoryWanted: true });
      const asked = beats.length;
      await waitBeats(asked + 2);
      expect(beats.slice(asked).some((b) => Array.isArray(b.inventory))).toBe(true);
    } finally {
      await agent.shutdown(0);
    }
  });
});
