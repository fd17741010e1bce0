import { spawn } from "node:child_process";
import { chown, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { existsSync } from "node:fs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { containerCgroups } from "../../apps/agent/src/runtime/lxc/unitCgroup";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { joinAsPlayer } from "@zlh/testing";
import { createServer, serverStatus, type Api } from "../support/api";
import { waitFor } from "../support/processes";
import { startLxcAgentCluster, type LxcAgentCluster } from "./support/agentCluster";

/**
 * A server's whole life on a real container through the real agent and
 * control plane (issue 20): create -> running -> a console command over
 * RCON -> a player joined, counted in the live figures -> stop (the world saved, the unit stopped) -> start -> a memory
 * change (the container's limit and the unit's -Xmx follow) -> a game killed
 * from the host, healed by starting its unit again in the same container
 * (its init unchanged) -> an OOM kill, reported as out_of_memory and healed
 * -> backup and restore -> reinstall (every platform file placed again over
 * a tree the game's user owns, the world kept) -> delete (the container
 * gone, its VMID and address free for the next). The steps share one
 * server, in order; each is a test of its own so each has the suite's
 * timeout.
 */
const rt = new LxcRuntime();
let cluster: LxcAgentCluster;
let call: Api;
let server: { id: string; vmid: number; ports: { game: number; rcon: number } };
let address: string;
const pureV2 = existsSync("/sys/fs/cgroup/cgroup.controllers");

beforeAll(async () => {
  // Heartbeats every 2 s and a reconcile pass every second: a dead game is seen twice within seconds.
  cluster = await startLxcAgentCluster({ controlPlane: { ZLH_LEASE_TTL_MS: "6000", ZLH_RECONCILE_INTERVAL_MS: "1000" } });
  call = cluster.c.call;
});
afterAll(() => cluster?.close());

const events = async () => (await call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; data: Record<string, unknown> }[];
async function waitStatus(status: string, timeoutMs: number) {
  await waitFor(async () => {
    const s = await serverStatus(call, server.id);
    if (s === "failed") throw new Error(`server failed: ${JSON.stringify((await events()).slice(-4))}`);
    return s === status;
  }, timeoutMs, status).catch(explain);
}
/** A failure's message with the server's last events and both processes' last log lines. */
async function explain(err: Error): Promise<never> {
  throw new Error(`${err.message}\nevents: ${JSON.stringify((await events().catch(() => [])).slice(-4))}\n${cluster.logs(15)}`);
}
/** The steps share one server: after a failed one, the rest fail at once instead of each waiting out its timeout. */
let broken = false;
beforeEach((ctx) => {
  if (broken) throw new Error(`an earlier step failed; not running "${ctx.task.name}"`);
});
afterEach((ctx) => {
  if (ctx.task.result?.state === "fail") broken = true;
});
const initPid = async () => {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn("lxc-info", ["-P", LXC_PATH, "-n", String(server.vmid), "-p", "-H"]);
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    p.on("error", reject);
    p.on("close", () => resolve(text.trim()));
  });
  return Number(out);
};
const gamePid = async () => {
  const pids = await rt.unitPids(server.vmid, GAME_UNIT);
  for (const pid of pids) if ((await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).includes("standin-server.jar")) return pid;
  return null;
};
const crashes = async () => (await events()).filter((e) => e.type === "server.crashed");
/** Running and answering again after a heal: a new game process in the same container. */
async function healedInPlace(init: number, oldGame: number) {
  await waitFor(async () => {
    const pid = await gamePid();
    return pid !== null && pid !== oldGame && (await serverStatus(call, server.id)) === "running";
  }, 120_000, "healed");
  expect(await initPid()).toBe(init);
  await pingServer(address, server.ports.game, 3000);
}

describe("a server's life on a real container", () => {
  it("is created and runs, and answers a console command over RCON", async () => {
    // Offline mode: a player can join without Mojang's session server (the next step's).
    server = await createServer(call, { memoryMiB: 1024, serverProperties: { motd: "lifecycle", "online-mode": false } });
    await waitStatus("running", 150_000);
    address = await rt.address(server.vmid);
    expect((await call("POST", `/v1/servers/${server.id}/commands`, { command: "list" })).body).toEqual({ reply: expect.stringMatching(/^There are 0 of a max of \d+ players online/) });
  });

  it("counts a player who joined the game in the container in its live figures", async () => {
    const alex = await joinAsPlayer(address, server.ports.game, "Alex");
    try {
      // A sample every 30 s with the heartbeat: the one after the join has the player the agent's ping counted.
      await waitFor(async () => ((await call("GET", `/v1/servers/${server.id}`)).body.stats?.playersOnline ?? 0) >= 1, 75_000, "a player in the live figures").catch(explain);
      expect((await call("GET", `/v1/servers/${server.id}`)).body.stats).toMatchObject({ playersOnline: 1, playersMax: 20 });
      expect((await call("POST", `/v1/servers/${server.id}/commands`, { command: "list" })).body).toEqual({ reply: "There are 1 of a max of 20 players online: Alex" });
    } finally {
      alex.leave();
    }
  });

  it("stops with its world saved and its unit stopped, and starts again", async () => {
    expect((await call("POST", `/v1/servers/${server.id}/stop`)).status).toBe(202);
    await waitStatus("stopped", 90_000);
    expect((await rt.inspect(server.vmid))?.state).toBe("stopped");
    const levelDat = await rt.withGuest(server.vmid, (g) => g.stat("srv/minecraft/world/level.dat"));
    expect(levelDat?.type).toBe("file");
    expect((await call("POST", `/v1/servers/${server.id}/start`)).status).toBe(202);
    await waitStatus("running", 120_000);
    expect((await rt.unitState(server.vmid, GAME_UNIT))?.populated).toBe(true);
  });

  it("takes a memory change: the container's limit and the unit's -Xmx follow", async () => {
    const asked = await call("PATCH", `/v1/servers/${server.id}`, { memoryMiB: 768 }, { "idempotency-key": "lifecycle-memory" });
    expect(asked.status).toBe(202);
    // An ended change leaves the server; the newest entry of its history says how it ended.
    await waitFor(async () => (await call("GET", `/v1/servers/${server.id}/changes?limit=1`)).body.items[0]?.status === "applied", 150_000, "change applied");
    await waitStatus("running", 30_000);
    expect((await rt.resources(server.vmid)).memoryMiB).toBe(768);
    const { memoryV1, unified } = await containerCgroups(await initPid());
    const limit = pureV2 ? await readFile(`/sys/fs/cgroup${unified}/memory.max`, "utf8") : await readFile(`/sys/fs/cgroup/memory${memoryV1}/memory.limit_in_bytes`, "utf8");
    expect(Number(limit.trim())).toBe(768 * 1024 * 1024);
    const cmdline = (await readFile(`/proc/${(await gamePid())!}/cmdline`, "utf8")).split("\0");
    expect(cmdline).toContain("-Xmx614M"); // 768 / 1.25
  });

  it("heals a game killed from the host by starting its unit again, in the same container", async () => {
    const init = await initPid();
    const game = (await gamePid())!;
    const before = (await crashes()).length;
    process.kill(game, "SIGKILL");
    await healedInPlace(init, game);
    const crash = (await crashes()).slice(before);
    expect(crash).toEqual([expect.objectContaining({ data: expect.objectContaining({ reason: "game_exited" }) })]);
    const shown = (await call("GET", `/v1/servers/${server.id}`)).body;
    expect(shown.lastCrash).toMatchObject({ reason: "game_exited", hint: null });
  });

  it("reports an OOM kill of the game as out_of_memory with a hint, and heals it in the same container", async () => {
    const init = await initPid();
    const game = (await gamePid())!;
    const before = (await crashes()).length;
    const hog = await memoryHog(game, 768);
    try {
      await waitFor(async () => (await crashes()).length > before, 60_000, "crash recorded");
    } finally {
      await hog.stop();
    }
    const [crash] = (await crashes()).slice(before);
    if (crash!.data.reason !== "out_of_memory") await explain(new Error(`the crash's reason is ${String(crash!.data.reason)}`));
    expect(crash!.data).toMatchObject({ reason: "out_of_memory", hint: expect.stringMatching(/memoryMiB/) });
    expect((await call("GET", `/v1/servers/${server.id}`)).body.lastCrash).toMatchObject({ reason: "out_of_memory", hint: expect.stringMatching(/raise the server's memoryMiB/) });
    // The second crash in a row waits out its 10 s backoff, then the unit is started again.
    await healedInPlace(init, game);
  });

  it("backs up and restores", async () => {
    const asked = await waitFor(async () => {
      const res = await call("POST", `/v1/servers/${server.id}/backups`);
      return res.status === 409 ? null : res;
    }, 30_000, "backup accepted");
    expect(asked.status).toBe(202);
    const backup = await waitFor(async () => {
      const items = (await call("GET", `/v1/servers/${server.id}/backups`)).body.items as { id: string; status: string }[];
      const b = items.find((i) => i.id === asked.body.id);
      return b && b.status !== "pending" && b.status !== "running" ? b : null;
    }, 90_000, "backup done");
    expect(backup.status).toBe("completed");
    // The world changes after the backup, as the game changes it: a file of the game's user.
    const world = `/proc/${await initPid()}/root/srv/minecraft/world`;
    const owner = await stat(world);
    await writeFile(`${world}/after-backup.txt`, "changed");
    await chown(`${world}/after-backup.txt`, owner.uid, owner.gid);
    expect((await call("POST", `/v1/servers/${server.id}/backups/${backup.id}/restore`)).status).toBe(202);
    await waitFor(async () => (await events()).some((e) => e.type === "server.restored") && (await serverStatus(call, server.id)) === "running", 150_000, "restored");
    expect(await rt.withGuest(server.vmid, (g) => g.stat("srv/minecraft/world/after-backup.txt"))).toBeNull();
    await pingServer(address, server.ports.game, 3000);
  });

  it("reinstalls over the game user's files, keeping the world, and runs again", async () => {
    // The unit gave /srv/minecraft to the game's user: the boundary's worker, the container's root as the
    // container sees it, must remove and place files there (before, it failed with EACCES).
    const dir = `/proc/${await initPid()}/root/srv/minecraft`;
    const owner = await stat(dir);
    expect(owner.uid).not.toBe(100_000);
    await writeFile(`${dir}/world/kept.txt`, "the customer's world");
    await chown(`${dir}/world/kept.txt`, owner.uid, owner.gid);
    const runningBefore = (await events()).filter((e) => e.type === "server.running").length;
    expect((await call("POST", `/v1/servers/${server.id}/reinstall`)).status).toBe(202);
    await waitFor(async () => (await events()).filter((e) => e.type === "server.running").length > runningBefore, 150_000, `running again after the reinstall\n${cluster.logs()}`);
    expect(await serverStatus(call, server.id)).toBe("running");
    expect(await readFile(`/proc/${await initPid()}/root/srv/minecraft/world/kept.txt`, "utf8")).toBe("the customer's world");
    await pingServer(address, server.ports.game, 3000);
  });

  it("is deleted: its container gone, its VMID and address free for the next", async () => {
    expect((await call("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
    await waitStatus("deleted", 120_000);
    expect(await rt.inspect(server.vmid)).toBeNull();
    // The VMID goes back to the pool once the host's inventory shows the container gone.
    await waitFor(async () => {
      const [pool] = await cluster.c.sql`select state, server_id from vmid_pool where vmid = ${server.vmid}`;
      return pool?.state === "free" && pool.server_id === null;
    }, 60_000, "VMID free").catch(explain);
    // No container holds its address any more (the runtime gives the lowest free one to the next), and its VMID takes a new container.
    expect(await addressHolders(address)).toEqual([]);
    await rt.create({ vmid: server.vmid, hostname: "zlh-reuse", memoryMiB: 256, cpuCores: 1, diskGiB: 1, description: "reuse" });
    await rt.destroy(server.vmid);
  });
});

/** The containers on this host (any test's, any helper's) whose recorded address is `address`. */
async function addressHolders(address: string): Promise<string[]> {
  const holders: string[] = [];
  for (const name of await readdir(LXC_PATH)) {
    const config = await readFile(`${LXC_PATH}/${name}/config`, "utf8").catch(() => "");
    if (config.includes(`\n#zlh.address = ${address}\n`)) holders.push(name);
  }
  return holders;
}

/**
 * The game made the OOM killer's first choice (oom_score_adj 1000, which
 * the host's root may set on any process), then a process inside the
 * container (lxc-attach: in its memory cgroup) grows, 1 MiB at a time, until
 * the game is gone (its /proc entry, by its pid in the container) or it has
 * taken `mib`: the container reaches its limit and the kernel kills the
 * game. It then stops growing, so the memory the game freed lets the unit's
 * ExecStopPost write its record, as after a real OOM kill.
 */
async function memoryHog(gamePid: number, mib: number): Promise<{ stop(): Promise<void> }> {
  const nspid = /^NSpid:\s+(.*)$/m.exec(await readFile(`/proc/${gamePid}/status`, "utf8"))![1]!.trim().split(/\s+/).at(-1)!;
  await writeFile(`/proc/${gamePid}/oom_score_adj`, "1000");
  const script = `for (1..${mib}) { last unless -e "/proc/${nspid}"; push @a, "x" x 1048576 } sleep 30`;
  const child = spawn("lxc-attach", ["-P", LXC_PATH, "-n", String(server.vmid), "--clear-env", "--", "perl", "-e", script], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  return {
    async stop() {
      // lxc-attach passes SIGTERM on to the process it runs in the container.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
