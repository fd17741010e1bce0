import { spawn } from "node:child_process";
import { chmod, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, testDatabase } from "@zlh/testing";
import { api, createServer } from "../support/api";
import { killSimServers, tempDir, waitFor } from "../support/processes";

const ROOT = resolve(import.meta.dirname, "../..");

/** `pnpm dev` as a person runs it in a terminal: one Ctrl-C stops everything it started. */
describe("pnpm dev", () => {
  let group: number | undefined;
  let simRoot: string | undefined;
  const dataDirs: string[] = [];
  afterAll(async () => {
    try {
      if (group) process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
    if (simRoot) await killSimServers(simRoot); // whatever a failed run left behind
    // The agents run in process groups of their own: a failed run must not leave them behind either.
    for (const dir of dataDirs) {
      for (const line of await processesUnder(dir)) {
        try {
          process.kill(Number(line.split(" ")[0]), "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  });

  it("stops the agents once and gracefully, and the simulated servers, on one Ctrl-C", async () => {
    const dataDir = await tempDir("dev");
    dataDirs.push(dataDir);
    await chmod(dataDir, 0o755);
    simRoot = join(dataDir, "sim", "sim-1");
    const port = await freePort();
    // Detached: its own process group, as a terminal's foreground job is; Ctrl-C is SIGINT to the whole group.
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/dev.ts"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATABASE_URL: await testDatabase(), ZLH_DATA_DIR: dataDir, PORT: String(port), ZLH_DEV_HOSTS: "1", LOG_LEVEL: "info", LOG_FORMAT: "json" },
    });
    group = child.pid!;
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    await waitFor(async () => out.includes("Ctrl-C stops everything"), 60_000, "pnpm dev up");
    const token = /API token:\s+(\S+)/.exec(out)![1]!;
    const call = api(`http://127.0.0.1:${port}`, token);
    const server = await createServer(call);
    await waitFor(async () => (await call("GET", `/v1/servers/${server.id}`)).body.status === "running", 30_000, "running");
    const pid = Number(await readFile(join(dataDir, "sim", "sim-1", String(server.vmid), "pid"), "utf8"));

    process.kill(-group, "SIGINT");
    expect(await exited).toBe(0);
    const agentExit = out.split("\n").find((l) => l.includes('"dev agent exited"'));
    expect(JSON.parse(agentExit!)).toMatchObject({ code: 0, signal: null }); // the graceful path, not the forced one
    // The simulated server is gone too (dead: absent, or a zombie its adopter has not reaped yet).
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    expect(stat === null || / Z /.test(stat)).toBe(true);
    group = undefined;
  });

  it("under pnpm: readable logs per process, kill -TERM of pnpm alone stops everything, and the admin token persists", async () => {
    const dataDir = await tempDir("dev-pnpm");
    dataDirs.push(dataDir);
    await chmod(dataDir, 0o755);
    simRoot = join(dataDir, "sim", "sim-1");
    const port = await freePort();
    const database = await testDatabase();
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database, ZLH_DATA_DIR: dataDir, PORT: String(port), ZLH_DEV_HOSTS: "1", LOG_LEVEL: "info", NO_COLOR: "1" };
    delete env.LOG_FORMAT; // pnpm dev's own default
    const run = () => {
      const child = spawn("pnpm", ["dev"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
      let out = "";
      child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
      child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
      return { child, out: () => out };
    };

    const first = run();
    group = first.child.pid!;
    await waitFor(async () => first.out().includes("Ctrl-C stops everything"), 60_000, "pnpm dev up");
    const token = /API token:\s+(\S+)/.exec(first.out())![1]!;
    const call = api(`http://127.0.0.1:${port}`, token);
    const server = await createServer(call);
    await waitFor(async () => (await call("GET", `/v1/servers/${server.id}`)).body.status === "running", 30_000, "running");
    const pid = Number(await readFile(join(simRoot, String(server.vmid), "pid"), "utf8"));
    // Pretty lines, each prefixed with the process it came from; the request log names the client.
    expect(first.out()).toMatch(/INFO \(control-plane\): request/);
    expect(first.out()).toMatch(/apiClient: "dev"/);
    expect(first.out()).toMatch(/INFO \(agent sim-1\): /);

    // Only pnpm gets the signal (a supervisor or `kill` does not signal the whole group).
    process.kill(first.child.pid!, "SIGTERM");
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true)), 30_000, "port 3000 released");
    await waitFor(async () => /dev agent exited[\s\S]*code: 0/.test(first.out()), 30_000, "agent stopped gracefully");
    await waitFor(async () => {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
      return stat === null || / Z /.test(stat);
    }, 30_000, "simulated server stopped");
    await waitFor(async () => (await processesUnder(dataDir)).length === 0, 30_000, "nothing of pnpm dev left running");

    // The next run prints the same token: a panel configured with it keeps working.
    const second = run();
    group = second.child.pid!;
    await waitFor(async () => second.out().includes("Ctrl-C stops everything"), 60_000, "pnpm dev up again");
    expect(/API token:\s+(\S+)/.exec(second.out())![1]).toBe(token);
    expect((await call("GET", `/v1/servers/${server.id}`)).status).toBe(200);
    process.kill(-group, "SIGINT");
    await waitFor(async () => (await processesUnder(dataDir)).length === 0 && (await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true)), 30_000, "second run stopped");
    group = undefined;
  });
});

/** Processes whose command line names `dir` (agents, with their state dir, and simulated servers). */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
    const env = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (/ Z /.test(stat)) continue;
    if (cmd.includes(dir) || env.includes(`ZLH_DATA_DIR=${dir}`) || env.includes(`ZLH_STATE_DIR=${dir}`)) found.push(`${pid} ${cmd}`);
  }
  return found;
}
