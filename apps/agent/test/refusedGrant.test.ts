import { afterEach, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { simAgent, startFakeControlPlane, type FakeControlPlane } from "./support/fakeControlPlane";

const SERVER = "6a7b8c9d-0000-4000-8000-00000000000c";
const opId = (n: number) => `9c2f1a3e-0000-4000-8000-0000000000${String(n).padStart(2, "0")}`;
/** A destroy of a container that is not there: it runs at once and succeeds (alreadyGone). */
const destroyOp = (n: number, spec: Record<string, unknown> = {}) => ({
  opId: opId(n), token: String(n), kind: "destroy", serverId: SERVER, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(),
  spec: { vmid: 7400 + n, hostname: `zlh-${7400 + n}`, memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort: 25_565, rconPort: 25_575, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: null, rconPassword: null, ...spec },
});

type Message = { type: string } & Record<string, unknown>;

/**
 * A host's agent asks for work one request at a time; a grant it could not
 * read once left that request in flight for the rest of the session: the
 * host stayed connected (heartbeats kept going) and never asked for work
 * again, so every customer's operation on it waited. And one operation it
 * could not read (a command longer than it knew) took the grant's others
 * with it.
 */
describe("a grant the agent cannot read", () => {
  let cp: FakeControlPlane | undefined;
  afterEach(() => cp?.close());

  /** A control plane that welcomes, acknowledges every beat (so the session stays up) and answers each lease request with the next of `grants`. */
  async function scripted(grants: (unknown[] | ((ws: WebSocket) => void))[]) {
    const seen: Message[] = [];
    let asked = 0;
    cp = await startFakeControlPlane((m, ws) => {
      seen.push(m);
      if (m.type === "hello") cp!.welcome(ws, 300);
      if (m.type === "heartbeat") cp!.send(ws, { type: "heartbeat.ack", renewed: (m.held as { opId: string }[]).map((h) => h.opId), lost: [] });
      if (m.type === "result") cp!.send(ws, { type: "result.ack", opId: m.opId, token: m.token, outcome: "applied" });
      if (m.type === "lease.request") {
        const next = grants[asked++];
        if (typeof next === "function") next(ws);
        else cp!.send(ws, { type: "lease.grant", ops: next ?? [] });
      }
    });
    return seen;
  }

  async function until(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(done(), what).toBe(true);
  }
  const resultOf = (seen: Message[], n: number) => seen.find((m) => m.type === "result" && m.opId === opId(n));

  it("asks for work again on the same session after a grant it refused whole, and runs what the next grant brings", async () => {
    const seen = await scripted([(ws) => cp!.send(ws, { type: "lease.grant", ops: "not a list" }), [destroyOp(1)]]);
    const { agent } = await simAgent(cp!.url);
    agent.start();
    try {
      await until("the next grant's operation reported", () => resultOf(seen, 1) !== undefined);
      expect(resultOf(seen, 1)).toMatchObject({ outcome: "succeeded" });
      expect(seen.filter((m) => m.type === "lease.request").length).toBeGreaterThanOrEqual(2);
      expect(cp!.sockets).toHaveLength(1); // not a reconnect's fresh start: the same session asked again
    } finally {
      await agent.shutdown(0);
    }
  });

  it("runs a grant's readable operations and reports the one it cannot read failed at once, not retryable", async () => {
    const tooLong = destroyOp(2, { command: "x".repeat(1447) });
    const seen = await scripted([[destroyOp(1), tooLong, { opId: "not a uuid", kind: "destroy" }, destroyOp(3)]]);
    const { agent } = await simAgent(cp!.url);
    agent.start();
    try {
      await until("every readable lease answered", () => [1, 2, 3].every((n) => resultOf(seen, n) !== undefined));
      expect(resultOf(seen, 1)).toMatchObject({ outcome: "succeeded" });
      expect(resultOf(seen, 3)).toMatchObject({ outcome: "succeeded" });
      expect(resultOf(seen, 2)).toMatchObject({
        token: "2",
        outcome: "failed",
        retryable: false,
        error: { code: "malformed_operation", message: "the agent could not read the operation (lease.grant: /ops/1/spec/command must not have more than 1446 characters)" },
      });
      // The one without a readable lease is only logged: nothing is reported under an id the control plane never gave.
      expect(seen.filter((m) => m.type === "result")).toHaveLength(3);
      // And work is asked for again after it all.
      await until("a lease request after the grant", () => seen.filter((m) => m.type === "lease.request").length >= 2);
    } finally {
      await agent.shutdown(0);
    }
  });
});
