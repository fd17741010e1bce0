import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markerFor, type LeasedOperation, type ServerStat } from "@zlh/protocol";
import { simAgent, startFakeControlPlane, type FakeControlPlane } from "./support/fakeControlPlane";
import { statusServer } from "./support/statusServer";

const SERVER = "7b8c9d0e-0000-4000-8000-00000000000c";
const VMID = 7320;

/**
 * The game ports come only in operations' specs: an agent restarted must
 * still know them (its state directory), or every server reports null
 * players until an operation runs on it.
 */
describe("players after an agent restart", () => {
  let cp: FakeControlPlane;
  let game: Awaited<ReturnType<typeof statusServer>>;
  const results: unknown[] = [];
  const stats: ServerStat[][] = [];
  let grant: LeasedOperation | null = null;
  beforeAll(async () => {
    game = await statusServer('{"version":{"name":"1.21.1","protocol":767},"players":{"max":20,"online":3}}');
    cp = await startFakeControlPlane((m, ws) => {
      if (m.type === "hello") cp.welcome(ws, 300);
      if (m.type === "lease.request" && grant) {
        cp.send(ws, { type: "lease.grant", ops: [grant] });
        grant = null;
      }
      if (m.type === "result") {
        results.push(m);
        cp.send(ws, { type: "result.ack", opId: m.opId, token: m.token, outcome: "applied" });
      }
      if (m.type === "heartbeat") {
        if (Array.isArray(m.stats)) stats.push(m.stats as ServerStat[]);
        cp.send(ws, { type: "heartbeat.ack", renewed: [], lost: [] });
      }
    });
  });
  afterAll(async () => {
    await cp.close();
    await game.close();
  });

  const waitFor = async (done: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };

  it("reports players from the first figures of a new agent on the same state directory, with no operation since", async () => {
    // The first agent runs an operation on the server (a start of a container it does not have: it fails, its port is learnt all the same).
    grant = operation(game.port);
    const first = await simAgent(cp.url);
    first.agent.start();
    await waitFor(() => results.length > 0);
    await first.agent.shutdown(0);
    expect(results).toHaveLength(1);

    // A new agent on the same state directory, the server's container running, and no operation granted.
    const second = await simAgent(cp.url, first.stateDir);
    second.runtime.list = async () => [{ vmid: VMID, state: "running", description: markerFor(SERVER) }];
    second.runtime.usage = async () => ({ cpuUsec: 1000, memoryBytes: 4096 });
    second.runtime.address = async () => "127.0.0.1";
    second.agent.start();
    try {
      await waitFor(() => stats.length > 0);
      expect(stats[0]).toEqual([expect.objectContaining({ vmid: VMID, serverId: SERVER, playersOnline: 3, playersMax: 20 })]);
      expect(results).toHaveLength(1);
    } finally {
      await second.agent.shutdown(0);
    }
  });
});

function operation(gamePort: number): LeasedOperation {
  return {
    opId: "9c2f1a3e-0000-4000-8000-0000000000cc", token: "1", kind: "start", serverId: SERVER, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(),
    spec: { vmid: VMID, hostname: "zlh-7320", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort, rconPort: 25_575, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: null, rconPassword: "pw" },
  };
}
