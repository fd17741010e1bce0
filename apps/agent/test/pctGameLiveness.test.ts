import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { markerFor, type LeasedOperation } from "@zlh/protocol";
import { GameLiveness } from "../src/container/gameLiveness";
import { installGameUnit } from "../src/container/installGameUnit";
import { start } from "../src/ops/power";
import { PctRuntime } from "../src/runtime/pct";
import { stopFakeInits } from "./support/fakePct";

/**
 * The game's liveness on pct, against the fake pct and a cgroup tree shaped
 * like Proxmox's (lxc/<vmid>/ns/system.slice/zlh-server.service): read from
 * the host with no pct call, a death and an OOM kill planted as the kernel
 * would show them, and a dead game healed by `pct exec ... systemctl start`
 * without restarting the container.
 */
const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");
const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";
const VMID = 5300;
let dir: string;
let cgroups: string;
let rt: PctRuntime;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "zlh-pct-game-"));
  cgroups = join(dir, "sys-fs-cgroup");
  process.env.FAKE_PCT_DIR = dir;
  process.env.FAKE_PCT_CGROUP_ROOT = cgroups;
  rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", lockBackoffMs: 5, cgroupRoot: cgroups });
});
afterEach(async () => {
  await stopFakeInits(dir);
  delete process.env.FAKE_PCT_CGROUP_ROOT;
  await rm(dir, { recursive: true, force: true });
});

const unitDir = () => join(cgroups, `lxc/${VMID}/ns/system.slice/zlh-server.service`);
const calls = async () => (await readFile(join(dir, "calls.log"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as string[]);
/** systemd removes a dead unit's cgroup; the container's counters stay beside its limit. */
const killGame = async (memoryEvents?: string) => {
  await rm(unitDir(), { recursive: true, force: true });
  if (memoryEvents) await writeFile(join(cgroups, `lxc/${VMID}/memory.events`), memoryEvents);
};
const writeExitRecord = async (line: string) => {
  await mkdir(join(dir, "rootfs", String(VMID), "run"), { recursive: true });
  await writeFile(join(dir, "rootfs", String(VMID), "run/zlh-server.exit"), line);
};

async function runningGame() {
  await rt.create({ vmid: VMID, hostname: "zlh-5300", memoryMiB: 1024, cpuCores: 1, diskGiB: 4, description: markerFor(SERVER) });
  await rt.withGuest(VMID, (guest) => installGameUnit(guest, { memoryMiB: 1024, javaMajor: 21 }));
  await rt.start(VMID);
}

describe("pct: the game unit seen from the host", () => {
  it("is alive after boot, dead once its cgroup is gone, null when the container stops; all without calling pct", async () => {
    await runningGame();
    const before = (await calls()).length;
    expect(await rt.observeGame(VMID)).toEqual({ alive: true, exists: true, memory: { limitHits: 0, oomKills: 0 } });
    await killGame("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    expect(await rt.observeGame(VMID)).toEqual({ alive: false, exists: false, memory: { limitHits: 7, oomKills: 1 } });
    expect((await calls()).length).toBe(before);
    await rt.stop(VMID, 1000);
    expect(await rt.observeGame(VMID)).toBeNull();
  });

  it("passes nothing of the agent's environment into the customer's container: not its token, not pct's own", async () => {
    await runningGame();
    await killGame();
    process.env.ZLH_AGENT_TOKEN = "zlha-secret-token-of-this-host";
    try {
      await rt.startGame(VMID, 10_000);
    } finally {
      delete process.env.ZLH_AGENT_TOKEN;
    }
    const passed = (await readFile(join(dir, "exec-env.log"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as string[]);
    expect(passed.at(-1)).toEqual([]); // --keep-env 0: the command inside starts with a clean environment
    await rt.stop(VMID, 1000);
  });

  it("starts a dead game with pct exec, refused (not_running) on a stopped container", async () => {
    await runningGame();
    await killGame();
    await rt.startGame(VMID, 10_000);
    expect((await rt.observeGame(VMID))?.alive).toBe(true);
    expect((await calls()).at(-1)).toEqual(["exec", String(VMID), "--keep-env", "0", "--", "systemctl", "start", "zlh-server.service"]);
    await rt.stop(VMID, 1000);
    await expect(rt.startGame(VMID, 10_000)).rejects.toMatchObject({ kind: "not_running" });
  });
});

/** A running game seen alive by a fresh GameLiveness, then dead with this exit record (and these memory events). */
async function seenAliveThenKilled(record: string, memoryEvents?: string): Promise<GameLiveness> {
  await runningGame();
  const games = new GameLiveness(rt);
  expect((await games.observe(VMID, "running"))?.game).toBe("alive");
  await writeExitRecord(record);
  await killGame(memoryEvents);
  return games;
}

describe("the inventory's game liveness (GameLiveness)", () => {
  it("alive, then dead for a plain kill, then alive again after a start", async () => {
    const games = await seenAliveThenKilled("signal killed KILL\n");
    expect((await games.observe(VMID, "running"))?.game).toBe("dead");
    await rt.startGame(VMID, 10_000);
    expect((await games.observe(VMID, "running"))?.game).toBe("alive");
  });

  it("oom_killed when the container's oom_kill rose since the game was last alive and the unit says SIGKILL", async () => {
    const games = await seenAliveThenKilled("signal killed KILL\n", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect((await games.observe(VMID, "running"))?.game).toBe("oom_killed");
  });

  it("judges a death the heartbeats did not see begin: restarted and OOM-killed again between two observations", async () => {
    const games = await seenAliveThenKilled("signal killed KILL\n");
    expect((await games.observe(VMID, "running"))?.game).toBe("dead");
    // Started again and killed for memory before the next heartbeat: judged on the new record and counters.
    await rt.startGame(VMID, 10_000);
    await killGame("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect((await games.observe(VMID, "running"))?.game).toBe("oom_killed");
  });

  it("dead, not oom_killed, when the record says the game exited by itself though another process was OOM-killed", async () => {
    const games = await seenAliveThenKilled("exit-code exited 1\n", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    expect((await games.observe(VMID, "running"))?.game).toBe("dead");
  });

  it("a malformed record counts as none", async () => {
    const games = await seenAliveThenKilled("signal killed KILL\n; rm -rf /\n", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
    // No record: the counter alone (it rose since the game was last alive).
    expect((await games.observe(VMID, "running"))?.game).toBe("oom_killed");
  });
});

describe("start on a running container whose game is dead", () => {
  it("starts the game unit, never the container (no pct start, no shutdown), then waits for readiness", async () => {
    await runningGame();
    await killGame();
    const op: LeasedOperation = {
      opId: "9c2f1a3e-0000-4000-8000-000000000001", token: "7", kind: "start", serverId: SERVER, generation: 2, attempt: 1, leaseExpiresAt: new Date().toISOString(),
      spec: { vmid: VMID, hostname: "zlh-5300", memoryMiB: 1024, cpuCores: 1, diskGiB: 4, gamePort: 1, rconPort: 2, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: null, rconPassword: "pw", network: { bridge: "vmbr0", address: "127.0.0.1", prefix: 24, gateway: "127.0.0.254" } },
    };
    const before = (await calls()).length;
    const ctx = { op, runtime: rt, artifacts: null as never, log: pino({ level: "silent" }), signal: new AbortController().signal, readyTimeoutMs: 300, stopTimeoutMs: 1000, backupDir: "/nonexistent" };
    // The fake's game is no server: readiness never comes, which is the op's failure, after the unit was started.
    await expect(start(ctx)).rejects.toThrow();
    const made = (await calls()).slice(before).map((c) => c[0]);
    expect(made).toContain("exec");
    expect(made).not.toContain("start");
    expect(made).not.toContain("shutdown");
    expect((await rt.observeGame(VMID))?.alive).toBe(true);
  });
});
