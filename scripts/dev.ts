/**
 * `pnpm dev`: everything on one machine, no setup. Starts Postgres (embedded,
 * data under ZLH_DATA_DIR, unless DATABASE_URL is set), the control plane,
 * and ZLH_DEV_HOSTS simulated hosts, each enrolled and served by an agent
 * process on the sim runtime. Ctrl-C stops it all; a second Ctrl-C forces.
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

const dataDir = resolve(process.env.ZLH_DATA_DIR ?? ".data");
const hostCount = Number(process.env.ZLH_DEV_HOSTS ?? "2");
if (!Number.isInteger(hostCount) || hostCount < 0 || hostCount > 50) {
  console.error("ZLH_DEV_HOSTS must be a whole number from 0 to 50.");
  process.exit(2);
}
await mkdir(dataDir, { recursive: true });

const stops: (() => Promise<void>)[] = [];
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
  ...process.env,
  DATABASE_URL: databaseUrl,
  ZLH_API_TOKENS: process.env.ZLH_API_TOKENS || `dev:admin=${apiToken}`,
});
const log = createLogger(config.logLevel, "control-plane", config.logFormat);
const plane = await startControlPlane(config, log);
stops.push(() => plane.close());

// Enrol sim-1..sim-N (or give existing ones a fresh token: only hashes are stored).
const { db, close } = connectDatabase(databaseUrl, { max: 1 });
const hosts: { name: string; token: string }[] = [];
for (let i = 1; i <= hostCount; i++) {
  const name = `sim-${i}`;
  const token = newToken("zlha");
  const existing = await findHostByName(db, name);
  if (existing) await rotateAgentToken(db, existing.id, sha256Hex(token));
  else await enrollHost(db, { name, node: name, agentTokenHash: sha256Hex(token), memoryMiB: 65536, cpuCores: 32, diskGiB: 1024 });
  hosts.push({ name, token });
}
await close();
const agents = await startDevAgents(plane.url, hosts, dataDir, log, config.logFormat);
stops.push(() => agents.stop());

console.log(`
ZeroLagHub control plane is up.
  API:        ${plane.url}   (OpenAPI: ${plane.url}/docs)
  API token:  ${apiToken}   (client "dev", admin; kept in ${resolve(dataDir, "admin-token")})
  Hosts:      ${hosts.map((h) => h.name).join(", ") || "(none)"}  (sim runtime under ${resolve(dataDir, "sim")})
Try:
  curl -s -H "Authorization: Bearer ${apiToken}" ${plane.url}/v1/hosts
Ctrl-C stops everything.
`);

let stopping = false;
/** Stops everything, last started first. A second signal forces; the launcher's exit during a stop does not. */
async function stopAll(why: string, forceIfStopping: boolean): Promise<void> {
  if (stopping) {
    if (forceIfStopping) process.exit(1);
    return;
  }
  stopping = true;
  console.log(`stopping (${why})...`);
  for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch((err) => log.error({ err }, "stop failed"));
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stopAll(signal, true));
// `kill -TERM` of the pnpm process does not reach this one (pnpm exits without passing it on): stop when it is gone.
onAncestorExit(() => void stopAll("the process that started pnpm dev exited", false));
