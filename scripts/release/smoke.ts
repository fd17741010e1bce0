/**
 * The release smoke test: copies a built dist/ out of the repository (so no
 * node_modules can be reached from it), starts the control-plane bundle with
 * plain `node` against a fresh database, enrols a host, starts the agent
 * bundle on the sim runtime, and takes one server through provision ->
 * running -> delete -> deleted, asking the CLI bundle for its version and the
 * server list on the way. Then stops both with SIGTERM and expects them to
 * exit 0. Throws with the processes' output on any failure.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";

const run = promisify(execFile);

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function start(file: string, env: Record<string, string>, cwd: string): Proc {
  // Only what a service manager would pass: no NODE_OPTIONS (tsx's loader), no NODE_PATH.
  const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LOG_LEVEL: "warn" };
  const child = spawn(process.execPath, [file], { cwd, env: { ...base, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout!.on("data", (b: Buffer) => output.push(b.toString()));
  child.stderr!.on("data", (b: Buffer) => output.push(b.toString()));
  return { child, output, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T | null | false>, timeoutMs: number, procs: Proc[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe().catch(() => null);
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`smoke: no ${what} within ${timeoutMs} ms\n${procs.map((p) => p.output.join("")).join("\n---\n")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the smoke test on `distDir` with a database created (and dropped) on the server of `adminUrl`. */
export async function smokeRelease(distDir: string, adminUrl: string): Promise<string[]> {
  const report: string[] = [];
  const work = await mkdtemp(join(tmpdir(), "zlh-release-"));
  const dbName = `zlh_smoke_${process.pid}_${Date.now()}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const procs: Proc[] = [];
  try {
    await cp(distDir, join(work, "dist"), { recursive: true });
    await admin.unsafe(`create database ${dbName}`);
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    const port = await freePort();
    const token = `smoke:admin=${randomBytes(24).toString("base64url")}`;
    const bearer = { authorization: `Bearer ${token.slice(token.indexOf("=") + 1)}`, "content-type": "application/json" };
    const url = `http://127.0.0.1:${port}`;
    const plane = start(join(work, "dist/control-plane/zlh-control-plane.mjs"), {
      DATABASE_URL: u.toString(),
      PORT: String(port),
      HOST: "127.0.0.1",
      ZLH_API_TOKENS: token,
      ZLH_SECRETS_KEY: randomBytes(32).toString("base64"),
      ZLH_ARTIFACT_SOURCE: "offline",
      ZLH_RECONCILE_INTERVAL_MS: "2000",
    }, work);
    procs.push(plane);
    const health = await until("ready control plane", async () => (await fetch(`${url}/readyz`)).ok && (await (await fetch(`${url}/healthz`)).json()), 30_000, procs);
    report.push(`control plane ${(health as { version: string }).version} ready (migrations applied from the bundle)`);
    const docs = await fetch(`${url}/docs/static/index.html`);
    if (!docs.ok) throw new Error(`smoke: the API docs UI is not served from the bundle (${docs.status})`);
    const ui = await fetch(`${url}/ui/`);
    if (!ui.ok || !(await ui.text()).includes('<div id="app">')) throw new Error(`smoke: the operator console is not served from the bundle (${ui.status})`);

    const enrolled = await fetch(`${url}/v1/hosts`, { method: "POST", headers: bearer, body: JSON.stringify({ name: "smoke-host", node: "smoke-host", capacity: { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 } }) });
    const host = (await enrolled.json()) as { id: string; agentToken: string };
    const simRoot = join(work, "sim");
    const agent = start(join(work, "dist/agent/zlh-agent.mjs"), {
      ZLH_CONTROL_URL: url,
      ZLH_AGENT_TOKEN: host.agentToken,
      ZLH_RUNTIME: "sim",
      ZLH_SIM_ROOT: simRoot,
      ZLH_STATE_DIR: join(work, "agent-state"),
      ZLH_ARTIFACT_SOURCE: "offline",
      ZLH_READY_TIMEOUT_MS: "20000",
      ZLH_STOP_TIMEOUT_MS: "2000",
    }, work);
    procs.push(agent);
    await until("connected agent", async () => ((await (await fetch(`${url}/v1/hosts`, { headers: bearer })).json()) as { items: { connected: boolean }[] }).items[0]?.connected, 30_000, procs);
    report.push("agent connected");

    const created = await fetch(`${url}/v1/servers`, {
      method: "POST",
      headers: { ...bearer, "idempotency-key": "smoke-1" },
      body: JSON.stringify({ customerId: "smoke", name: "smoke", minecraftVersion: "1.21.1", mods: [{ project: "lithium" }], memoryMiB: 1024, cpuCores: 1, diskGiB: 1 }),
    });
    const server = (await created.json()) as { id: string };
    const status = async () => ((await (await fetch(`${url}/v1/servers/${server.id}`, { headers: bearer })).json()) as { status: string }).status;
    await until("running server", async () => (await status()) === "running", 60_000, procs);
    report.push("server provisioned from the bundled offline mirror and running on the sim runtime");
    // The CLI bundle, as an operator runs it: plain node, the URL and token from the environment only.
    const cli = join(work, "dist/cli/zlh.mjs");
    const cliEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: work, ZLH_URL: url, ZLH_TOKEN: token.slice(token.indexOf("=") + 1) };
    const version = (await run(process.execPath, [cli, "--version"], { env: cliEnv })).stdout.trim();
    if (version !== `zlh ${(health as { version: string }).version}`) throw new Error(`smoke: zlh --version printed "${version}"`);
    const listed = JSON.parse((await run(process.execPath, [cli, "--json", "servers", "list"], { env: cliEnv })).stdout) as { items: { id: string; status: string }[] };
    if (!listed.items.some((s) => s.id === server.id && s.status === "running")) throw new Error(`smoke: zlh servers list did not show the running server: ${JSON.stringify(listed)}`);
    report.push(`${version} lists the running server`);
    const deleting = await fetch(`${url}/v1/servers/${server.id}`, { method: "DELETE", headers: { authorization: bearer.authorization } });
    if (deleting.status !== 202) throw new Error(`smoke: DELETE answered ${deleting.status}: ${await deleting.text()}`);
    await until("deleted server", async () => (await status()) === "deleted", 60_000, procs);
    report.push("server deleted");
    const metrics = await (await fetch(`${url}/metrics`, { headers: bearer })).text();
    if (!/^zlh_operation_results_total\{verdict="applied"\} [1-9]/m.test(metrics)) throw new Error("smoke: /metrics did not count the applied results");

    for (const p of [agent, plane]) {
      p.child.kill("SIGTERM");
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
      if (code !== 0) throw new Error(`smoke: a bundle exited ${String(code)} on SIGTERM\n${p.output.join("")}`);
    }
    report.push("both stopped cleanly on SIGTERM");
    return report;
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await killSimServers(join(work, "sim"));
    await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
    await admin.end();
    await rm(work, { recursive: true, force: true });
  }
}

async function killSimServers(simRoot: string): Promise<void> {
  for (const vmid of await readdir(simRoot).catch(() => [] as string[])) {
    const pid = Number(await readFile(join(simRoot, vmid, "pid"), "utf8").catch(() => "0"));
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}
