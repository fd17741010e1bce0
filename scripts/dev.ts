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

const apiToken = process.env.ZLH_API_TOKENS?.split(",")[0]?.trim() || newToken("zlh");
// The key sealing RCON passwords must outlive restarts, or stored secrets become unreadable.
const keyFile = resolve(dataDir, "secrets.key");
if (!existsSync(keyFile)) await writeFile(keyFile, randomBytes(32).toString("base64"), { mode: 0o600 });
const secretsKey = (await readFile(keyFile, "utf8")).trim();
const config = loadConfig({
  HOST: "127.0.0.1",
  // Tampering with a simulated host shows up in /v1/drift within seconds.
  ZLH_RECONCILE_INTERVAL_MS: "5000",
  // No network needed: Fabric, Mojang and Modrinth come from the bundled fixture mirror.
  ZLH_ARTIFACT_SOURCE: "offline",
  ZLH_SECRETS_KEY: secretsKey,
  ...process.env,
  DATABASE_URL: databaseUrl,
  ZLH_API_TOKENS: process.env.ZLH_API_TOKENS || apiToken,
});
const log = createLogger(config.logLevel, "dev");
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
  else await enrollHost(db, { name, node: name, agentTokenHash: sha256Hex(token), memoryMib: 65536, cpuCores: 32, diskGib: 1024 });
  hosts.push({ name, token });
}
await close();
const agents = await startDevAgents(plane.url, hosts, dataDir, log);
stops.push(() => agents.stop());

console.log(`
ZeroLagHub control plane is up.
  API:        ${plane.url}   (OpenAPI: ${plane.url}/docs)
  API token:  ${apiToken}
  Hosts:      ${hosts.map((h) => h.name).join(", ") || "(none)"}  (sim runtime under ${resolve(dataDir, "sim")})
Try:
  curl -s -H "Authorization: Bearer ${apiToken}" ${plane.url}/v1/hosts
Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log("stopping...");
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch((err) => log.error({ err }, "stop failed"));
    process.exit(0);
  });
}
