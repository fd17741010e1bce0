import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { installGameUnit } from "../../apps/agent/src/container/installGameUnit";
import { rconCommand } from "../../apps/agent/src/rcon/rconCommand";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { destroyTestContainers } from "./support/containers";
import { placeHostJre } from "./support/hostJre";
import { buildStandinJar } from "../../scripts/standinGame/standinJar";

const run = promisify(execFile);
const VMID = 9910;
const rt = new LxcRuntime();
let built: { jar: string; dir: string };

/** Polls `check` every 250 ms until it returns a value, at most `tries` times; fails with `what`. */
async function eventually<T>(what: string, tries: number, check: () => Promise<T | null | undefined | false>): Promise<T> {
  let last: unknown = null;
  for (let i = 0; i < tries; i++) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen in ${tries * 0.25} s${last ? `: ${(last as Error).message}` : ""}`);
}

async function logOf(): Promise<string> {
  return (await rt.withGuest(VMID, (g) => g.readText("srv/minecraft/logs/latest.log", 256 * 1024))) ?? "";
}

beforeAll(async () => {
  await destroyTestContainers();
  built = await buildStandinJar();
  await rt.create({ vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 512, cpuCores: 1, diskGiB: 2, description: "zlh-server=real-container-test" });
  // Everything placed through the container boundary, as the agent places it: no file of the container touched by host root.
  await rt.withGuest(VMID, async (guest) => {
    await placeHostJre(guest, 17);
    await guest.write("srv/minecraft/standin-server.jar", createReadStream(built.jar));
    await guest.write("srv/minecraft/server.properties", "server-port=25565\nenable-rcon=true\nrcon.port=25575\nrcon.password=container-secret\nmotd=Inside LXC\nmax-players=5\n");
    await guest.write("srv/minecraft/eula.txt", "eula=true\n");
    await installGameUnit(guest, { memoryMiB: 512, javaMajor: 17, jar: "standin-server.jar" });
  });
});

afterAll(async () => {
  await destroyTestContainers();
  if (built) await rm(built.dir, { recursive: true, force: true });
});

describe("a real container: the game starts with it", () => {
  it("systemd starts the unit at boot; the host pings the container's bridge address and logs in over RCON", async () => {
    await rt.start(VMID);
    const address = await rt.address(VMID);
    await eventually("the unit's cgroup populated", 120, async () => (await rt.unitState(VMID, GAME_UNIT))?.populated);
    const status = await eventually("a status ping", 120, () => pingServer(address, 25565, 2000));
    expect(status.description).toEqual({ text: "Inside LXC" });
    expect(status.players.max).toBe(5);
    expect(await rconCommand(address, 25575, "container-secret", "list", 5000)).toBe("There are 0 of a max of 5 players online: ");
    // The heap follows the memory (512 / 1.25), and the game runs as its own user, not as the container's root.
    const log = await logOf();
    expect(log).toContain('Done (');
    const pids = await rt.unitPids(VMID, GAME_UNIT);
    expect(pids.length).toBeGreaterThan(0);
    const { stdout } = await run("ps", ["-o", "uid=,args=", "-p", pids.join(",")], { timeout: 10_000 });
    expect(stdout).toMatch(/^\s*100\d{3} \/opt\/zlh\/java\/17\/bin\/java -Xmx409M -jar standin-server\.jar nogui/m);
  });

  it("has one route, to the bridge's /24, and no way out (its network namespace's table, read from the host)", async () => {
    const init = Number(/^PID:\s+(\d+)/m.exec((await run("lxc-info", ["-P", "/var/lib/zlh/lxc", "-n", String(VMID), "-p"], { timeout: 10_000 })).stdout)?.[1]);
    const routes = (await readFile(`/proc/${init}/net/route`, "utf8")).trim().split("\n").slice(1).map((l) => l.split(/\s+/));
    expect(routes.map((r) => [r[0], r[1], r[2]])).toEqual([["eth0", "004DD50A", "00000000"]]); // 10.213.77.0, no gateway
  });

  it("a container stop stops the unit with SIGTERM: the world is saved (level.dat written) before the container is down", async () => {
    await rt.stop(VMID, 30_000);
    expect((await rt.inspect(VMID))?.state).toBe("stopped");
    const levelDat = await rt.withGuest(VMID, (g) => g.read("srv/minecraft/world/level.dat", 0, 64 * 1024));
    expect(levelDat.size).toBeGreaterThan(0);
    expect(gunzipSync(levelDat.data).includes(Buffer.from("LevelName"))).toBe(true);
    expect(await logOf()).toContain("[Server Shutdown Thread/INFO]: Saving worlds");
  });

  it("a killed game shows dead in its cgroup from the host while the container keeps running; the container is then destroyed and its name reusable", async () => {
    await rt.start(VMID);
    const address = await rt.address(VMID);
    await eventually("a status ping after restart", 120, () => pingServer(address, 25565, 2000));
    const pids = await rt.unitPids(VMID, GAME_UNIT);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    const state = await eventually("the unit's cgroup empty", 80, async () => {
      const s = await rt.unitState(VMID, GAME_UNIT);
      return s && !s.populated ? s : null;
    });
    expect(state.oomKills).toBe(0);
    expect((await rt.inspect(VMID))?.state).toBe("running");
    await expect(pingServer(address, 25565, 1000)).rejects.toThrow();

    await rt.stop(VMID, 10_000);
    await rt.destroy(VMID);
    expect(await rt.inspect(VMID)).toBeNull();
    await rt.create({ vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 512, cpuCores: 1, diskGiB: 2, description: "again" });
    expect(await rt.inspect(VMID)).toEqual({ vmid: VMID, state: "stopped", description: "again" });
    await rt.destroy(VMID);
  });
});
