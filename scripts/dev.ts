/**
 * `pnpm dev [--runtime sim|lxc]`: everything on one machine. Starts Postgres
 * (embedded, data under ZLH_DATA_DIR, unless DATABASE_URL is set), the
 * control plane, and its hosts, each enrolled and served by an agent
 * process: ZLH_DEV_HOSTS simulated hosts (sim, no setup), or with
 * `--runtime lxc` this machine as one host of real containers (root and
 * `pnpm host:prepare --install` needed; see devLxc.ts). Ctrl-C stops it all
 * (and, with lxc, deletes its servers, destroying their containers); a
 * second Ctrl-C forces.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import postgres from "postgres";
import { connectDatabase, findHostByName, rotateAgentToken, enrollHost } from "@zlh/db";
import { spawnEmbeddedPostgres, withDatabase } from "@zlh/testing";
import { createLogger, loadConfig, startControlPlane } from "@zlh/control-plane";
import { newToken, sha256Hex } from "../apps/control-plane/src/http/tokens";
import { onAncestorExit } from "@zlh/process";
import { startDevAgents } from "./devAgents";
import { ensureConsoleBuilt } from "./console/buildConsole";
import { parseDevArgs } from "./devArgs";
import { devNeoforgeJava, neoforgeDevLine } from "./devNeoforge";
import { deleteDevServers, destroyLeftContainers, DevLxcRefusal, LXC_DEV_HOST, lxcHostCapacity, prepareDevLxc } from "./devLxc";
import { resumeSimServers, stopSimServers } from "./devSimServers";

const parsed = parseDevArgs(process.argv.slice(2).filter((a) => a !== "--"));
if ("error" in parsed) {
  console.error(parsed.error);
  process.exit(2);
}
const { runtime } = parsed;
const dataDir = resolve(process.env.ZLH_DATA_DIR ?? ".data");
const hostCount = Number(process.env.ZLH_DEV_HOSTS ?? "2");
if (!Number.isInteger(hostCount) || hostCount < 0 || hostCount > 50) {
  console.error("ZLH_DEV_HOSTS must be a whole number from 0 to 50.");
  process.exit(2);
}
await mkdir(dataDir, { recursive: true });

/**
 * One Ctrl-C arrives twice: the terminal signals the whole foreground group,
 * and pnpm passes the signal it got on to this process too. Signals within
 * this window of the first are that one Ctrl-C, not a second: 3 s, as pnpm
 * on a loaded machine (CI's two cores) took over a second to pass it on, and
 * the run then ended as forced (exit 1).
 */
const SAME_SIGNAL_MS = 3000;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
// A signal while starting stops everything once it has started (what is half-started cannot be stopped
// in order); a second one exits at once.
let earlySignal: { signal: string; at: number } | null = null;
function onEarlySignal(signal: string): void {
  if (earlySignal && Date.now() - earlySignal.at >= SAME_SIGNAL_MS) process.exit(1);
  if (earlySignal) return;
  earlySignal = { signal, at: Date.now() };
  console.log(`${signal} while starting: stopping once started (again to exit at once)...`);
}
for (const signal of SIGNALS) process.on(signal, onEarlySignal);

const stops: (() => Promise<void>)[] = [];
/** Aborted by a second signal during a stop (stopAll). */
const forced = new AbortController();
// Checked before anything starts: a machine that cannot run real containers is told what it lacks, and nothing is left behind.
const lxc = runtime === "lxc" ? await prepareDevLxc((line) => console.log(line)).catch(refuse) : null;
if (lxc) stops.push(() => lxc.dispose());

function refuse(err: unknown): never {
  if (!(err instanceof DevLxcRefusal)) throw err;
  console.error(err.message);
  process.exit(1);
}
let databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  const pg = await spawnEmbeddedPostgres(resolve(dataDir, "postgres"));
  stops.push(() => pg.stop());
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  const [exists] = await admin`select 1 from pg_database where datname = 'zlh'`;
  if (!exists) await admin.unsafe("create database zlh");
  await admin.end();
  databaseUrl = withDatabase(pg.adminUrl, "zlh");
}

/** A secret kept in the data directory: made once, the same on every run (0600). */
async function persisted(file: string, make: () => string): Promise<string> {
  const path = resolve(dataDir, file);
  if (!existsSync(path)) await writeFile(path, make(), { mode: 0o600 });
  return (await readFile(path, "utf8")).trim();
}
// The dev admin token stays the same across runs (a panel or a script keeps working),
// and the key sealing RCON passwords must, or stored secrets become unreadable.
const apiToken = process.env.ZLH_API_TOKENS ? tokenOf(process.env.ZLH_API_TOKENS.split(",")[0]!.trim()) : await persisted("admin-token", () => newToken("zlh"));
const secretsKey = await persisted("secrets.key", () => randomBytes(32).toString("base64"));

function tokenOf(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? entry : entry.slice(eq + 1);
}
const config = loadConfig({
  HOST: "127.0.0.1",
  // Tampering with a simulated host shows up in /v1/drift within seconds.
  ZLH_RECONCILE_INTERVAL_MS: "5000",
  // No network needed: Fabric, Mojang and Modrinth come from the bundled fixture mirror.
  ZLH_ARTIFACT_SOURCE: "offline",
  ZLH_SECRETS_KEY: secretsKey,
  // Three processes share the terminal: readable lines, each prefixed with its name.
  LOG_FORMAT: "pretty",
  ...devNeoforgeJava(),
  ...process.env,
  DATABASE_URL: databaseUrl,
  ZLH_API_TOKENS: process.env.ZLH_API_TOKENS || `dev:admin=${apiToken}`,
});
const log = createLogger(config.logLevel, "control-plane", config.logFormat);
// The operator console at /ui, built from apps/console when missing or older than its sources.
if (await ensureConsoleBuilt()) log.info("operator console built");
const plane = await startControlPlane(config, log);
stops.push(() => plane.close());

// Enrol sim-1..sim-N, or lxc-1 (or give existing ones a fresh token: only hashes are stored).
const { db, close } = connectDatabase(databaseUrl, { max: 1 });
const hosts: { id: string; name: string; token: string }[] = [];
const names = lxc ? [LXC_DEV_HOST] : Array.from({ length: hostCount }, (_, i) => `sim-${i + 1}`);
for (const name of names) {
  const token = newToken("zlha");
  const capacity = lxc ? lxcHostCapacity() : { memoryMiB: 65536, cpuCores: 32, diskGiB: 1024 };
  const existing = await findHostByName(db, name);
  if (existing) await rotateAgentToken(db, existing.id, sha256Hex(token), 0);
  const id = existing?.id ?? (await enrollHost(db, { name, node: name, agentTokenHash: sha256Hex(token), ...capacity }))!.id;
  hosts.push({ id, name, token });
}
await close();

if (lxc) {
  // After the agent has stopped: whatever container of the loop's servers is still there.
  let vmids: number[] = [];
  stops.push(() => destroyLeftContainers(vmids, log));
  const agents = await startDevAgents(plane.url, hosts, dataDir, log, config.logFormat, () => ({
    ZLH_RUNTIME: "lxc",
    ZLH_LXC_TEMPLATE: lxc.template,
    // A real container boots Debian and a JVM on a shared machine: more than the sim's seconds.
    ZLH_READY_TIMEOUT_MS: process.env.ZLH_READY_TIMEOUT_MS ?? "120000",
    ZLH_STOP_TIMEOUT_MS: process.env.ZLH_STOP_TIMEOUT_MS ?? "20000",
  }));
  stops.push(() => agents.stop());
  // First, while the agent still serves: the product's delete destroys each container and frees its VMID.
  stops.push(async () => {
    vmids = await deleteDevServers(plane.url, apiToken, hosts[0]!.id, log, { deadlineMs: Date.now() + 180_000, signal: forced.signal });
  });
} else {
  stops.push(() => stopSimServers(dataDir));
  // Before any agent reports: the servers the last stop ended run again, so none of them looks crashed.
  await resumeSimServers(dataDir, names, log);
  const agents = await startDevAgents(plane.url, hosts, dataDir, log, config.logFormat, (host) => ({
    ZLH_RUNTIME: "sim",
    ZLH_SIM_ROOT: resolve(dataDir, "sim", host),
  }));
  stops.push(() => agents.stop());
}

console.log(`
ZeroLagHub control plane is up.
  API:        ${plane.url}   (OpenAPI: ${plane.url}/docs)
  Console:    ${plane.url}/ui/   (sign in with the API token)
  API token:  ${apiToken}   (client "dev", admin; kept in ${resolve(dataDir, "admin-token")})
  Hosts:      ${hosts.map((h) => h.name).join(", ") || "(none)"}  (${lxc ? "lxc runtime: real containers, deleted on Ctrl-C" : `sim runtime under ${resolve(dataDir, "sim")}`})
  ${neoforgeDevLine(config.neoforgeJava)}
Try:
  curl -s -H "Authorization: Bearer ${apiToken}" ${plane.url}/v1/hosts
Ctrl-C stops everything.
`);

let stoppingSince: number | null = null;
/**
 * Stops everything, last started first. A second signal forces: with lxc it
 * cuts the servers' deletion short (their containers are then destroyed
 * directly), else, or a third, it exits at once. The launcher's exit during
 * a stop does not force.
 */
async function stopAll(why: string, forceIfStopping: boolean): Promise<void> {
  if (stoppingSince !== null) {
    if (!forceIfStopping || Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
    if (lxc && !forced.signal.aborted) {
      console.log("second signal: destroying the containers directly (a third exits at once)...");
      stoppingSince = Date.now();
      return forced.abort();
    }
    process.exit(1);
  }
  stoppingSince = Date.now();
  console.log(`stopping (${why})...`);
  for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch((err) => log.error({ err }, "stop failed"));
  process.exit(0);
}
for (const signal of SIGNALS) {
  process.off(signal, onEarlySignal);
  process.on(signal, () => void stopAll(signal, true));
}
if (earlySignal) void stopAll(earlySignal.signal, true);
// `kill -TERM` of the pnpm process does not reach this one (pnpm exits without passing it on): stop when it is gone.
onAncestorExit(() => void stopAll("the process that started pnpm dev exited", false));
