import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LeasedOperation } from "@zlh/protocol";
import { fixtureManifest } from "@zlh/testing";
import type { ContainerInfo } from "../src/runtime/runtime";
import { Heartbeat } from "../src/session/heartbeat";
import { InventoryReport } from "../src/session/inventoryReport";
import { simAgent, startFakeControlPlane, type FakeControlPlane } from "./support/fakeControlPlane";

const SERVER = "6a7b8c9d-0000-4000-8000-00000000000b";
const OP_ID = "9c2f1a3e-0000-4000-8000-0000000000bb";

/**
 * A customer can make the inventory slow (a dead game's evidence read
 * inside its container: a directory of a million names, reads that hang to
 * their bound). Lease renewals must not wait on it: every lease on the host
 * would expire, other customers' operations with them.
 */
describe("heartbeats while the inventory hangs", () => {
  const beats: { held: { opId: string }[]; inventory?: unknown; inventoryDigest?: unknown }[] = [];
  let cp: FakeControlPlane;
  let granted = false;
  beforeAll(async () => {
    const op = await operation();
    cp = await startFakeControlPlane((m, ws) => {
      if (m.type === "hello") cp.welcome(ws, 300);
      if (m.type === "lease.request" && !granted) {
        granted = true;
        cp.send(ws, { type: "lease.grant", ops: [op] });
      }
      if (m.type === "heartbeat") {
        const beat = m as unknown as (typeof beats)[number];
        beats.push(beat);
        cp.send(ws, { type: "heartbeat.ack", renewed: beat.held.map((h) => h.opId), lost: [] });
      }
    });
  });
  afterAll(() => cp.close());

  it("renews the leases it holds every beat, carrying no inventory, while one inventory does not finish (and none is started beside it)", async () => {
    const { agent, runtime } = await simAgent(cp.url);
    // The operation holds its lease: its container's creation waits until the test ends.
    let endCreate!: () => void;
    const createEnded = new Promise<void>((r) => (endCreate = r));
    runtime.create = async () => {
      await createEnded;
      throw new Error("the test ended");
    };
    // The hello's inventory is listed; every later one hangs until the test ends (as a container's reads can, to their bound).
    let listings = 0;
    const list = runtime.list.bind(runtime);
    let endListing!: () => void;
    const listingEnded = new Promise<void>((r) => (endListing = r));
    runtime.list = async (): Promise<ContainerInfo[]> => {
      listings++;
      if (listings > 1) await listingEnded;
      return list();
    };
    agent.start();
    const renewals = () => beats.filter((b) => b.held.some((h) => h.opId === OP_ID));
    try {
      const deadline = Date.now() + 10_000;
      while (renewals().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Each beat (TTL/3) renewed the lease although the inventory started with the session never finished.
      expect(renewals().length).toBeGreaterThanOrEqual(4);
      expect(beats.every((b) => b.inventory === undefined && b.inventoryDigest === undefined)).toBe(true);
      expect(listings).toBe(2); // the hello's, and the one under way: one at a time

      // Once listed, the slow inventory follows in a heartbeat of its own, and the next beats list theirs again.
      endListing();
      while (!beats.some((b) => b.inventoryDigest !== undefined || b.inventory !== undefined) && Date.now() < deadline + 10_000) await new Promise((r) => setTimeout(r, 20));
      expect(beats.some((b) => b.inventoryDigest !== undefined || b.inventory !== undefined)).toBe(true);
    } finally {
      endCreate();
      endListing();
      await agent.shutdown(0);
    }
  });
});

/**
 * An observation's budget lasts several beats; a session that ends (a
 * reconnect) must not leave its reads going beside the next hello's, which
 * lists the same containers.
 */
describe("a heartbeat stopped while its inventory hangs", () => {
  it("ends the inventory's reads at once (stop() aborts them, not the budget's timeout)", async () => {
    let reading!: (read: { budget: AbortSignal; ended: Promise<never> }) => void;
    const started = new Promise<{ budget: AbortSignal; ended: Promise<never> }>((r) => (reading = r));
    const sent: unknown[] = [];
    const heartbeat = new Heartbeat({
      // A read inside a container that hangs until it is aborted.
      inventory: (budget) => {
        const ended = new Promise<never>((_, reject) => budget.addEventListener("abort", () => reject(budget.reason), { once: true }));
        reading({ budget, ended });
        return ended;
      },
      renewable: () => [],
      report: new InventoryReport(),
      send: (beat) => sent.push(beat),
      resendOlderThan: () => {},
      onError: (err) => sent.push(err),
    });
    heartbeat.start({ ttlMs: 3000 }); // a beat a second; the budget would cut the reads after 6 s
    const { budget, ended } = await started;
    heartbeat.stop();
    expect(budget.aborted).toBe(true);
    await expect(ended).rejects.toThrow("the agent session ended"); // not the budget's TimeoutError
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([]); // the ended session's observation reports nothing, not even its error
  });
});

async function operation(): Promise<LeasedOperation> {
  return {
    opId: OP_ID, token: "1", kind: "provision", serverId: SERVER, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(),
    spec: { vmid: 7310, hostname: "zlh-7310", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort: 25_565, rconPort: 25_575, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: await fixtureManifest(), rconPassword: "pw" },
  };
}
