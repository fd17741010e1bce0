import { spawn, type ChildProcess } from "node:child_process";
import { chmod, readdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, testDatabase } from "@zlh/testing";
import { api, createServer, eventTypes } from "../support/api";
import { killSimServers, simServerPids, tempDir, waitFor } from "../support/processes";

const ROOT = resolve(import.meta.dirname, "../..");

/** A `pnpm dev` run: its output so far, and its exit. */
interface DevRun {
  child: ChildProcess;
  out(): string;
  exited: Promise<number | null>;
}

/**
 * `pnpm dev` as a person runs it: a real pnpm, the real script. Each run is
 * killed (its process group, its agents' groups, its simulated servers)
 * after the file, whatever the tests did.
 */
describe("pnpm dev", () => {
  const groups = new Set<number>();
  const dataDirs: string[] = [];
  afterAll(async () => {
    for (const group of groups) {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // The agents and simulated servers run in process groups of their own: a failed run must not leave them behind either.
    for (const dir of dataDirs) {
      await killSimServers(join(dir, "sim", "sim-1"));
      for (const line of await processesUnder(dir)) {
        try {
          process.kill(Number(line.split(" ")[0]), "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  });

  /** A data dir and port for pnpm dev; its Postgres a test database, or (embedded) its own under the data dir. */
  async function setup(name: string, postgres: "test" | "embedded" = "test") {
    const dataDir = await tempDir(name);
    dataDirs.push(dataDir);
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, ZLH_DATA_DIR: dataDir, PORT: String(port), ZLH_DEV_HOSTS: "1", LOG_LEVEL: "info", NO_COLOR: "1" };
    if (postgres === "test") env.DATABASE_URL = await testDatabase();
    else delete env.DATABASE_URL;
    delete env.LOG_FORMAT; // pnpm dev's own default
    return { dataDir, port, env };
  }

  /** `command` run by sh in a process group of its own (as a terminal's foreground job is); Ctrl-C is SIGINT to that group. */
  function launch(command: string, env: NodeJS.ProcessEnv): DevRun {
    const child = spawn("sh", ["-c", command], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env });
    groups.add(child.pid!);
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    return { child, out: () => out, exited };
  }

  const up = (run: DevRun, what = "pnpm dev up") => waitFor(async () => run.out().includes("Ctrl-C stops everything"), 90_000, what);
  const tokenOf = (run: DevRun) => /API token:\s+(\S+)/.exec(run.out())![1]!;
  const serving = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
  /** Whether anything listens on address:port (a refused connection: nothing). */
  const listening = (address: string, port: number) =>
    new Promise<boolean>((done) => {
      const socket = connect({ host: address, port }, () => (socket.destroy(), done(true)));
      socket.once("error", () => done(false));
    });

  it("one Ctrl-C stops everything cleanly (exit 0, no ELIFECYCLE, nothing left listening or running, embedded Postgres included); the next run finds its servers running, none crashed", async () => {
    const { dataDir, port, env } = await setup("dev", "embedded");
    const first = launch("exec pnpm dev", env);
    await up(first);
    const call = api(`http://127.0.0.1:${port}`, tokenOf(first));
    // The operator console, built by pnpm dev when missing or stale, at the address it prints.
    expect(first.out()).toContain(`Console:    http://127.0.0.1:${port}/ui/`);
    const page = await fetch(`http://127.0.0.1:${port}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const servers = [await createServer(call), await createServer(call)];
    const running = async () => (await Promise.all(servers.map((s) => call("GET", `/v1/servers/${s.id}`)))).map((r) => r.body);
    await waitFor(async () => (await running()).every((s) => s.status === "running"), 60_000, "running");
    const addresses = (await running()).map((s) => ({ address: s.address as string, port: s.ports.game as number }));
    expect(await listening(addresses[0]!.address, addresses[0]!.port)).toBe(true);
    // Pretty lines, each prefixed with the process it came from; the request log names the client.
    expect(first.out()).toMatch(/INFO \(control-plane\): request/);
    expect(first.out()).toMatch(/apiClient: "dev"/);
    expect(first.out()).toMatch(/INFO \(agent sim-1\): /);

    // The terminal's Ctrl-C reaches pnpm and pnpm dev both, and pnpm passes it on again: one stop, not a forced one.
    process.kill(-first.child.pid!, "SIGINT");
    expect(await first.exited).toBe(0);
    expect(first.out()).not.toContain("ELIFECYCLE");
    expect(first.out()).toMatch(/dev agent exited[\s\S]*code: 0/); // the agent's graceful path, not the forced one
    expect(first.out()).not.toContain("second signal");
    expect(await serving(port)).toBe(false);
    for (const a of addresses) expect(await listening(a.address, a.port)).toBe(false);
    expect(await processesUnder(dataDir)).toEqual([]); // agents, simulated servers, the embedded Postgres

    // Restarted: the servers the stop ended run again before the agent reports, so nothing looks crashed.
    const restartedAt = Date.now();
    const second = launch("exec pnpm dev", env);
    await up(second, "pnpm dev up again");
    expect(tokenOf(second)).toBe(tokenOf(first)); // a panel configured with it keeps working
    await waitFor(async () => {
      const host = (await call("GET", "/v1/hosts")).body.items[0];
      return host.lastHeartbeatAt !== null && Date.parse(host.lastHeartbeatAt) > restartedAt;
    }, 30_000, "the agent's first heartbeat after the restart");
    // Two reconciliation passes (ZLH_RECONCILE_INTERVAL_MS is 5 s in pnpm dev) over its inventories.
    await new Promise((r) => setTimeout(r, 12_000));
    for (const s of servers) {
      const types = await eventTypes(call, s.id);
      expect(types).not.toContain("server.crashed");
      expect(types).not.toContain("drift.detected");
    }
    expect((await running()).map((s) => s.status)).toEqual(["running", "running"]);
    for (const a of addresses) expect(await listening(a.address, a.port)).toBe(true);

    process.kill(-second.child.pid!, "SIGINT");
    expect(await second.exited).toBe(0);
    expect(await processesUnder(dataDir)).toEqual([]);
  });

  it("kill -TERM of pnpm alone (a supervisor, `kill`) stops everything", async () => {
    const { dataDir, port, env } = await setup("dev-term");
    const run = launch("exec pnpm dev", env);
    await up(run);
    const call = api(`http://127.0.0.1:${port}`, tokenOf(run));
    const server = await createServer(call);
    await waitFor(async () => (await call("GET", `/v1/servers/${server.id}`)).body.status === "running", 60_000, "running");
    const pids = await simServerPids(join(dataDir, "sim", "sim-1"));
    expect(pids.length).toBe(1);

    process.kill(run.child.pid!, "SIGTERM"); // pnpm exits without passing it on
    await waitFor(async () => !(await serving(port)), 30_000, "the API's port released");
    await waitFor(async () => /dev agent exited[\s\S]*code: 0/.test(run.out()), 30_000, "agent stopped gracefully");
    await waitFor(async () => (await processesUnder(dataDir)).length === 0, 30_000, "nothing of pnpm dev left running");
  });

  it("provisions a NeoForge server to running from the offline mirror: its installer run by the control plane with the java it names at start", async () => {
    const { port, env } = await setup("dev-neoforge");
    const run = launch("exec pnpm dev", env);
    await up(run);
    expect(run.out()).toMatch(/NeoForge: {3}its installer runs with \/\S+\/java \(ZLH_NEOFORGE_JAVA=\S+\)\n/);
    const call = api(`http://127.0.0.1:${port}`, tokenOf(run));
    const server = await createServer(call, { type: "neoforge" });
    await waitFor(async () => {
      const s = (await call("GET", `/v1/servers/${server.id}`)).body;
      if (s.status === "failed") throw new Error(`the NeoForge server failed: ${JSON.stringify((await call("GET", `/v1/servers/${server.id}/events`)).body.items.slice(-3))}`);
      return s.status === "running";
    }, 120_000, "running");
    const shown = (await call("GET", `/v1/servers/${server.id}`)).body;
    // The offline mirror's one NeoForge build of 1.21.1 (scripts/buildOfflineMirror.ts).
    expect(shown).toMatchObject({ type: "neoforge", minecraftVersion: "1.21.1" });
    expect(await listening(shown.address, shown.ports.game)).toBe(true);
    process.kill(-run.child.pid!, "SIGINT");
    expect(await run.exited).toBe(0);
  });

  it("runs in the background: started with setsid or nohup by a shell that then exits, it keeps serving until stopped", async () => {
    for (const how of ["setsid", "nohup"] as const) {
      const { dataDir, port, env } = await setup(`dev-${how}`);
      const log = join(dataDir, "dev.log");
      // The shell starts it in the background, waits until it is up, and exits (as one logging out would).
      const shell = launch(`${how} pnpm dev > ${log} 2>&1 < /dev/null & echo "pid=$!"; until grep -q "Ctrl-C stops everything" ${log}; do sleep 0.2; done`, env);
      await waitFor(async () => shell.child.exitCode === 0 || (shell.child.exitCode !== null && Promise.reject(new Error(shell.out()))), 90_000, `pnpm dev up (${how})`);
      const pnpmPid = Number(/pid=(\d+)/.exec(shell.out())![1]);
      // Read once it runs (setsid makes the group after the shell has printed the pid): its own with setsid, the shell's with nohup.
      const group = Number((await readFile(`/proc/${pnpmPid}/stat`, "utf8")).split(") ")[1]!.split(" ")[2]);
      groups.add(group);
      // Its shell is gone (pnpm dev used to watch every process above it, and stopped a second later).
      await new Promise((r) => setTimeout(r, 3000));
      expect(await serving(port)).toBe(true);
      const text = await readFile(log, "utf8");
      expect(text).not.toContain("stopping (");

      process.kill(-group, "SIGINT");
      await waitFor(async () => (await processesUnder(dataDir)).length === 0 && !(await serving(port)), 30_000, `pnpm dev (${how}) stopped`);
      expect(await readFile(log, "utf8")).not.toContain("ELIFECYCLE");
    }
  });
});

/** Processes whose command line names `dir` or whose environment names it as data or state dir (pnpm dev, its agents, simulated servers). */
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
