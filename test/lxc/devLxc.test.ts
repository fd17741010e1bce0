import { spawn, type ChildProcess } from "node:child_process";
import { chmod, readdir, readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, testDatabase } from "@zlh/testing";
import { GAME_UNIT } from "../../apps/agent/src/container/gameUnit";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { pingServer } from "../../apps/agent/src/slp/ping";
import { destroyContainers } from "../../scripts/hostPrepare/destroyContainers";
import { api, createServer } from "../support/api";
import { tempDir, waitFor } from "../support/processes";
import { waitProvisioned } from "./support/provisioned";

/**
 * `pnpm dev --runtime lxc`: the local loop on real containers, run as a
 * person runs it (a real pnpm, in a process group of its own), with VMIDs
 * 9920-9929 (the suite's other files use others). A server created through
 * its API runs the stand-in game in a real container, offline; one Ctrl-C
 * deletes it, and no container, process or port of the run is left.
 */
const VMIDS = Array.from({ length: 10 }, (_, i) => 9920 + i);
const ROOT = resolve(import.meta.dirname, "../..");
const rt = new LxcRuntime();
const groups: number[] = [];
const dirs: string[] = [];

beforeAll(() => destroyContainers(VMIDS));
afterAll(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await destroyContainers(VMIDS);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function launch(command: string, env: NodeJS.ProcessEnv): { child: ChildProcess; out(): string; exited: Promise<number | null> } {
  const child = spawn("sh", ["-c", command], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
  groups.push(child.pid!);
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  return { child, out: () => out, exited: new Promise((r) => child.once("exit", r)) };
}

it("creates a server to running in a real container through its API; one Ctrl-C deletes it and leaves no container", async () => {
  const dataDir = await tempDir("dev-lxc");
  dirs.push(dataDir);
  await chmod(dataDir, 0o755);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: await testDatabase(), ZLH_DATA_DIR: dataDir, PORT: String(port), ZLH_VMID_RANGE: "9920-9929", LOG_LEVEL: "info", NO_COLOR: "1" };
  const dev = launch("exec pnpm dev --runtime lxc", env);
  await waitFor(async () => dev.out().includes("Ctrl-C stops everything") || (dev.child.exitCode !== null && Promise.reject(new Error(dev.out()))), 240_000, "pnpm dev --runtime lxc up");
  expect(dev.out()).toContain("lxc-1  (lxc runtime");
  const call = api(`http://127.0.0.1:${port}`, /API token:\s+(\S+)/.exec(dev.out())![1]!);

  // 1.20.1: Java 17, the machine's JRE in the offline mirror; the template's java keeps it offline.
  const server = await createServer(call, { minecraftVersion: "1.20.1", memoryMiB: 1024, serverProperties: { motd: "dev on lxc" } });
  expect(VMIDS).toContain(server.vmid);
  await waitProvisioned(call, server.id);
  const { address } = (await call("GET", `/v1/servers/${server.id}`)).body;
  expect(await rt.inspect(server.vmid)).toMatchObject({ state: "running" });
  expect((await rt.unitState(server.vmid, GAME_UNIT))?.populated).toBe(true);
  expect(await pingServer(address, server.ports.game, 3000)).toMatchObject({ version: { name: "1.20.1" }, description: { text: "dev on lxc" } });

  process.kill(-dev.child.pid!, "SIGINT");
  expect(await dev.exited).toBe(0);
  expect(dev.out()).not.toContain("ELIFECYCLE");
  expect(dev.out()).toContain("deleting the lxc loop's servers");
  for (const vmid of VMIDS) expect(await rt.inspect(vmid)).toBeNull();
  expect(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false)).toBe(false);
  expect(await processesNaming(dataDir)).toEqual([]);
});

it("refuses, saying why, where it cannot run real containers (not root), and starts nothing", async () => {
  const dataDir = await tempDir("dev-lxc-user");
  dirs.push(dataDir);
  await chmod(dataDir, 0o777);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dataDir, ZLH_DATA_DIR: dataDir, PORT: String(await freePort()) };
  const dev = launch("exec setpriv --reuid=65534 --regid=65534 --clear-groups node --import tsx scripts/dev.ts --runtime lxc", env);
  expect(await dev.exited).toBe(1);
  expect(dev.out()).toContain("pnpm dev --runtime lxc must run as root");
  expect(dev.out()).not.toContain("control plane is up");
  expect(await processesNaming(dataDir)).toEqual([]);
});

/** Processes whose environment names `dir` as their data or state dir (pnpm dev, its agent). */
async function processesNaming(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const env = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (!/ Z /.test(stat) && (env.includes(`ZLH_DATA_DIR=${dir}`) || env.includes(`ZLH_STATE_DIR=${dir}`))) found.push(pid);
  }
  return found;
}
