import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAgent, startFakeControlPlane, type FakeControlPlane } from "./support/fakeControlPlane";

describe("agent liveness", () => {
  let cp: FakeControlPlane;
  beforeAll(async () => {
    // Welcome the agent, then never answer again (a control plane stuck on its database).
    cp = await startFakeControlPlane((m, ws) => {
      if (m.type === "hello") cp.welcome(ws, 300);
    });
  });
  afterAll(() => cp.close());

  it("closes a session that stays silent past its lease TTL and says hello again on a new socket", async () => {
    const { agent } = await simAgent(cp.url);
    const firstClosed = new Promise<number>((r) => {
      const check = setInterval(() => {
        if (cp.sockets[0]) {
          clearInterval(check);
          cp.sockets[0].once("close", () => r(Date.now()));
        }
      }, 5);
    });
    const startedAt = Date.now();
    agent.start();
    try {
      const closedAt = await firstClosed;
      // Silence is a TTL (300 ms, floored at 1 s) without a word: not at once, and well before the 10 s pre-welcome limit.
      expect(closedAt - startedAt).toBeGreaterThanOrEqual(1000);
      expect(closedAt - startedAt).toBeLessThan(8000);
      const deadline = Date.now() + 8000;
      while (cp.sockets.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(cp.sockets).toHaveLength(2);
    } finally {
      await agent.shutdown(0);
    }
  });
});
