import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { InventoryItem } from "@zlh/protocol";
import { varint } from "@zlh/testing";
import type { Runtime } from "../src/runtime/runtime";
import { LiveStats, STATS_EVERY_MS } from "../src/session/liveStats";
import { MAX_PLAYERS, playersOf } from "../src/slp/players";

const SERVER = "11111111-2222-4333-8444-555555555555";

/** A status response packet as a server sends it: length, id 0, the JSON as a length-prefixed string. */
function statusPacket(json: string): Buffer {
  const text = Buffer.from(json, "utf8");
  const body = Buffer.concat([varint(0), varint(text.length), text]);
  return Buffer.concat([varint(body.length), body]);
}

describe("players from the status reply's JSON, which the customer's server wrote", () => {
  it("takes integers in bounds with online at most max, and nothing else", () => {
    expect(playersOf({ players: { online: 3, max: 20, sample: [] } })).toEqual({ online: 3, max: 20 });
    expect(playersOf({ players: { online: 0, max: 0 } })).toEqual({ online: 0, max: 0 });
    expect(playersOf({ players: { online: MAX_PLAYERS, max: MAX_PLAYERS } })).toEqual({ online: MAX_PLAYERS, max: MAX_PLAYERS });
    for (const hostile of [
      null,
      "players",
      [],
      {},
      { players: null },
      { players: [3, 20] },
      { players: { online: "3", max: 20 } },
      { players: { online: 3 } },
      { players: { online: 1.5, max: 20 } },
      { players: { online: -1, max: 20 } },
      { players: { online: 3, max: MAX_PLAYERS + 1 } },
      { players: { online: 1e308, max: Number.POSITIVE_INFINITY } },
      { players: { online: 21, max: 20 } },
      { players: { online: Number.NaN, max: 20 } },
    ]) {
      expect(playersOf(hostile)).toBeNull();
    }
  });
});

describe("LiveStats: players online from a status ping at the stats cadence", () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (server) await new Promise((r) => server?.close(r));
    server = undefined;
  });

  /** A game port that answers every status request with `reply` (null: accepts and never answers). */
  async function gamePort(reply: string | null): Promise<number> {
    server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
      s.once("data", () => reply !== null && s.write(statusPacket(reply)));
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    return (server.address() as { port: number }).port;
  }

  const runtime = { usage: async () => ({ cpuUsec: 1000, memoryBytes: 4096 }), address: async () => "127.0.0.1" } as unknown as Runtime;
  const running: InventoryItem[] = [{ vmid: 7, state: "running", serverId: SERVER }];
  async function sample(reply: string | null, learnedFor = SERVER) {
    const stats = new LiveStats(runtime);
    stats.learn(learnedFor, { vmid: 7, gamePort: await gamePort(reply) });
    return (await stats.due(running, Date.now() + STATS_EVERY_MS))?.[0];
  }

  it("carries players.online and max of an honest reply", async () => {
    expect(await sample('{"version":{"name":"1.21.1","protocol":767},"players":{"max":20,"online":3},"description":"x"}')).toMatchObject({ playersOnline: 3, playersMax: 20, memoryBytes: 4096 });
  });

  it("has null players for a dishonest reply, a silent server, or a port learned for another server at that VMID", async () => {
    expect(await sample('{"players":{"max":20,"online":-4}}')).toMatchObject({ playersOnline: null, playersMax: null, memoryBytes: 4096 });
    expect(await sample("not json")).toMatchObject({ playersOnline: null, playersMax: null });
    expect(await sample(null)).toMatchObject({ playersOnline: null, playersMax: null, memoryBytes: 4096 }); // within the ping's deadline
    expect(await sample('{"players":{"max":20,"online":3}}', "99999999-2222-4333-8444-555555555555")).toMatchObject({ playersOnline: null });
  });

  it("has null players, and still the other figures, when the runtime cannot give the address (DHCP not answered)", async () => {
    const noAddress = { ...runtime, address: async () => Promise.reject(new Error("no DHCP lease within 5000 ms")) } as unknown as Runtime;
    const stats = new LiveStats(noAddress);
    stats.learn(SERVER, { vmid: 7, gamePort: await gamePort('{"players":{"max":20,"online":3}}') });
    expect((await stats.due(running))?.[0]).toMatchObject({ playersOnline: null, playersMax: null, memoryBytes: 4096 });
  });

  it("takes disk use from the runtime's volume figure where it has one (pct, lxc), at every sample; a failed read is null", async () => {
    let bytes = 12_345_678;
    const withVolume = { ...runtime, volumeUsage: async () => bytes, diskRoot: () => { throw new Error("a runtime with a volume figure is never walked"); } } as unknown as Runtime;
    const stats = new LiveStats(withVolume);
    expect((await stats.due(running, 0))?.[0]).toMatchObject({ diskBytes: 12_345_678 });
    bytes = 22_345_678;
    expect((await stats.due(running, 30_000))?.[0]).toMatchObject({ diskBytes: 22_345_678 });
    const failing = new LiveStats({ ...runtime, volumeUsage: async () => Promise.reject(new Error("EACCES")) } as unknown as Runtime);
    expect((await failing.due(running))?.[0]).toMatchObject({ diskBytes: null, memoryBytes: 4096 });
  });

  it("has null players before it knows the server's port (no operation seen since the agent started)", async () => {
    const stats = new LiveStats(runtime);
    expect((await stats.due(running))?.[0]).toMatchObject({ playersOnline: null, playersMax: null, diskBytes: null });
  });
});
