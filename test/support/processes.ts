import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, nextPortRange, TEST_SECRETS_KEY } from "@zlh/testing";

const ROOT = resolve(import.meta.dirname, "../..");
export const ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef";

export interface Proc {
  child: ChildProcess;
  /** Lines the process wrote (pino JSON), for assertions and for failure reports. */
  output: string[];
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** Whether the process has exited (on its own or by a signal). */
  ended(): boolean;
  stop(): Promise<void>;
}

/** `ZLH_CPU_PROFILE_DIR=<dir>` makes every launched process write a V8 CPU profile there on exit (`pnpm bench` profiling). */
function profileArgs(): string[] {
  const dir = process.env.ZLH_CPU_PROFILE_DIR;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/**
 * Everything this test file launched and every simulated-server root it made, for the leak guard
 * (leakGuard.ts), which fails a file that leaves any of them running.
 */
export const launched: { entry: string; proc: Proc }[] = [];
export const tempDirsMade: string[] = [];

function launch(entry: string, env: Record<string, string>): Proc {
  // A release bundle (.mjs) runs as it would in production: plain node, no tsx.
  const loader = entry.endsWith(".mjs") ? [] : ["--import", "tsx"];
  const child = spawn(process.execPath, [...profileArgs(), ...loader, join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  // Whole lines only: a chunk may end mid-line, and a test parses the JSON log lines.
  const collector = () => {
    let partial = "";
    return (buf: Buffer) => {
      const lines = (partial + buf.toString()).split("\n");
      partial = lines.pop()!;
      output.push(...lines.filter(Boolean));
    };
  };
  child.stdout!.on("data", collector());
  child.stderr!.on("data", collector());
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const proc: Proc = {
    child,
    output,
    exited,
    ended,
    signal: (sig) => child.kill(sig),
    async stop() {
      if (ended()) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
  launched.push({ entry, proc });
  return proc;
}

/** Control planes sharing a database (two processes, or a restart) must share its port range. */
const rangeByDatabase = new Map<string, string>();
function portRangeFor(databaseUrl: string): string {
  let range = rangeByDatabase.get(databaseUrl);
  if (!range) rangeByDatabase.set(databaseUrl, (range = nextPortRange()));
  return range;
}

export interface ControlPlaneProc extends Proc {
  url: string;
  port: number;
}

/**
 * A control plane on `databaseUrl`, ready (`/readyz` 200). With `tls`, it serves HTTPS with those
 * files (ZLH_TLS_CERT_FILE, ZLH_TLS_KEY_FILE) and readiness is checked trusting only `tls.ca`.
 */
export async function startControlPlaneProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
  port?: number,
  tls?: { certFile: string; keyFile: string; ca: string },
): Promise<ControlPlaneProc> {
  const p = port ?? (await freePort());
  const proc = launch("apps/control-plane/src/main.ts", {
    DATABASE_URL: databaseUrl,
    PORT: String(p),
    HOST: "127.0.0.1",
    ZLH_API_TOKENS: ADMIN_TOKEN,
    ZLH_SECRETS_KEY: TEST_SECRETS_KEY,
    ZLH_ARTIFACT_SOURCE: "offline",
    ZLH_PORT_RANGE: portRangeFor(databaseUrl),
    // Tests, chaos and bench drive far more requests a minute from one client
    // and one address than a panel does; the limits have their own tests.
    ZLH_RATE_LIMIT_PER_CLIENT: "10000000",
    ZLH_RATE_LIMIT_PER_ADDRESS: "10000000",
    ...(tls ? { ZLH_TLS_CERT_FILE: tls.certFile, ZLH_TLS_KEY_FILE: tls.keyFile } : {}),
    ...env,
  });
  const url = `${tls ? "https" : "http"}://127.0.0.1:${p}`;
  await waitFor(async () => {
    if (proc.ended()) throw new Error(`control plane exited:\n${proc.output.join("\n")}`);
    if (tls) return (await httpsStatus(`${url}/readyz`, tls.ca)) === 200;
    const res = await fetch(`${url}/readyz`).catch(() => null);
    return res?.status === 200;
  }, 30_000);
  return { ...proc, url, port: p };
}

function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpsGet(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export interface AgentEnv {
  controlUrl: string;
  token: string;
  simRoot: string;
  stateDir: string;
  extra?: Record<string, string>;
  /** Run this file instead of the sources (the release bundle, dist/agent/zlh-agent.mjs, relative to the checkout). */
  entry?: string;
}

export function startAgentProcess(a: AgentEnv): Proc {
  return launch(a.entry ?? "apps/agent/src/main.ts", {
    ZLH_CONTROL_URL: a.controlUrl,
    ZLH_AGENT_TOKEN: a.token,
    ZLH_RUNTIME: "sim",
    ZLH_SIM_ROOT: a.simRoot,
    ZLH_STATE_DIR: a.stateDir,
    ZLH_READY_TIMEOUT_MS: "10000",
    ZLH_STOP_TIMEOUT_MS: "2000",
    ZLH_SHUTDOWN_GRACE_MS: "2000",
    ZLH_ARTIFACT_SOURCE: "offline",
    ...a.extra,
  });
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `zlh-${prefix}-`));
  tempDirsMade.push(dir);
  return dir;
}

/** Ends every sim server process under `simRoot` (they are detached, like real containers, and outlive agents). */
/** The simulated server processes whose command line names `dir` or a path under it (found in /proc, pid file or not). */
export async function simServerPids(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (argv.some((a) => a.endsWith("mcServer.pl")) && argv.some((a) => a === dir || a.startsWith(`${dir}/`))) pids.push(Number(entry));
  }
  return pids;
}

export async function killSimServers(simRoot: string): Promise<void> {
  const pids = new Set<number>();
  for (const n of await readdir(simRoot).catch(() => [] as string[])) {
    const pid = Number(await readFile(join(simRoot, n, "pid"), "utf8").catch(() => "0"));
    if (pid > 0) pids.add(pid);
  }
  // And any server process naming this root without a pid file naming it: an agent killed between
  // starting the process and recording its pid (chaos: agent_sigkill) left one behind.
  for (const pid of await simServerPids(simRoot)) pids.add(pid);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  // SIGKILL is asynchronous: on a busy machine a killed server is still running (state R) for a moment,
  // and whoever looks next (the leak guard, the next test's port) must not find it. Bounded: 5 s.
  const deadline = Date.now() + 5_000;
  for (const pid of pids) {
    while (Date.now() < deadline && (await alive(pid))) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether `pid` still runs (a zombie, waiting for its parent to reap it, does not). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

export async function waitFor<T>(probe: () => Promise<T | false | null | undefined>, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}
