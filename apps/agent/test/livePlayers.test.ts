import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { InventoryItem } from "@zlh/protocol";
import type { Runtime } from "../src/runtime/runtime";
import { GamePorts } from "../src/session/gamePorts";
import { LiveStats, STATS_EVERY_MS } from "../src/session/liveStats";
import { MAX_PLAYERS, playersOf } from "../src/slp/players";
import { statusServer } from "./support/statusServer";

const SERVER = "11111111-2222-4333-8444-555555555555";

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
  let server: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A game port that answers every status request with `reply` (null: accepts and never answers). */
  async function gamePort(reply: string | null): Promise<number> {
    const answering = await statusServer(reply);
    server = answering;
    return answering.port;
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

  it("has null players before it knows the server's port (no operation seen on it, none kept by an earlier run)", async () => {
    const stats = new LiveStats(runtime, new GamePorts(await mkdtemp(join(tmpdir(), "zlh-state-"))));
    await stats.load();
    expect((await stats.due(running))?.[0]).toMatchObject({ playersOnline: null, playersMax: null, diskBytes: null });
  });

  it("ignores a corrupt or hostile ports file with a warning, and learns the ports again", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const file = join(stateDir, "game-ports.json");
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
    for (const bad of ["{torn", JSON.stringify([{ vmid: 7, serverId: SERVER, gamePort: 70_000 }]), JSON.stringify([{ vmid: 7, serverId: SERVER, gamePort: 25_565, network: { bridge: "vmbr0,x=1", mode: "dhcp" } }]), JSON.stringify({ 7: 25_565 })]) {
      await writeFile(file, bad);
      const stats = new LiveStats(runtime, new GamePorts(stateDir, log));
      await stats.load();
      expect((await stats.due(running))?.[0]).toMatchObject({ playersOnline: null });
    }
    expect(warnings).toHaveLength(4);
  });

  it("knows the ports after the agent restarts (kept in its state directory), with no operation since; forgets a destroyed container's", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const port = await gamePort('{"players":{"max":20,"online":3}}');
    const kept = new GamePorts(stateDir);
    const before = new LiveStats(runtime, kept);
    await before.load();
    before.learn(SERVER, { vmid: 7, gamePort: port, network: { bridge: "vmbr0", address: "10.0.0.7", prefix: 24, gateway: "10.0.0.1" } });
    before.learn("99999999-2222-4333-8444-555555555555", { vmid: 8, gamePort: port });
    before.retain([7]); // 8 is being provisioned: its container is not listed yet, and its port is kept
    before.retain([7, 8]);
    before.retain([7]); // 8 was destroyed: listed, and no longer
    await kept.settled();
    // A new agent, the same state directory: the port is known before any operation.
    const restarted = new LiveStats(runtime, new GamePorts(stateDir));
    await restarted.load();
    expect((await restarted.due(running))?.[0]).toMatchObject({ playersOnline: 3, playersMax: 20 });
    expect(JSON.parse(await readFile(join(stateDir, "game-ports.json"), "utf8"))).toEqual([{ vmid: 7, serverId: SERVER, gamePort: port, network: { bridge: "vmbr0", address: "10.0.0.7", prefix: 24, gateway: "10.0.0.1" } }]);
    // Destroyed while the agent was down: not listed by the first inventory after the restart, so forgotten.
    restarted.retain([]);
    const again = new GamePorts(stateDir);
    await restarted.settled();
    expect(await again.load()).toEqual(new Map());
  });
});
