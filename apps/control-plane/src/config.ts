/**
 * The control plane's configuration, parsed and validated from the environment. Every variable is read through
 * the table in configVars.ts (types, defaults, bounds, descriptions; docs/configuration.md is generated from it).
 * `loadConfig(env)` is called by main(); nothing reads process.env at import.
 */
import type { ArtifactSourceKind } from "@zlh/artifacts";
import { createHash } from "node:crypto";
import { API_SCOPES, CLIENT_NAME_PATTERN, ConfigError, envReader, isReportableIpv4, type ApiScope, type Env, type IntRange } from "@zlh/domain";
import type { EdgeNaming } from "./edge/desiredEdge";
import { parseEdgeProviders } from "./edge/edgeProviders";
import { NamingError, parseNameTemplate, parseZone } from "./edge/naming";
import { EdgeConfigError, type EdgeProvider } from "./edge/provider";
import { EDGE_PROVIDER_FACTORIES } from "./edge/providers/registry";
import { CONTROL_PLANE_ENV } from "./configVars";
import { secretsKey, type SecretsKeyring } from "./secrets/sealedSecrets";
import type { RetentionMs } from "./jobs/handlers/retentionSweep";

/** An API client's token, from ZLH_API_TOKENS. */
export interface ApiClientToken {
  name: string;
  scope: ApiScope;
  token: string;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** The control plane's configuration; each field names the variables it comes from, explained in `CONTROL_PLANE_ENV`. */
export interface ControlPlaneConfig {
  /** DATABASE_URL */
  databaseUrl: string;
  /** PORT */
  port: number;
  /** HOST */
  host: string;
  /** ZLH_API_TOKENS */
  apiClients: ApiClientToken[];
  /** ZLH_VMID_RANGE */
  vmidRange: IntRange;
  /** ZLH_PORT_RANGE */
  portRange: IntRange;
  /** ZLH_LEASE_TTL_MS */
  leaseTtlMs: number;
  /** ZLH_AGENT_TOKEN_GRACE_MS */
  agentTokenGraceMs: number;
  /** ZLH_RECONCILE_INTERVAL_MS */
  reconcileIntervalMs: number;
  /** ZLH_RECONCILE_RECHECK_MS */
  reconcileRecheckMs: number;
  /** ZLH_PLACEMENT_POLICY */
  placementPolicy: "spread" | "pack";
  /** ZLH_WORKER_CONCURRENCY */
  workerConcurrency: number;
  /** ZLH_PROXMOX_URL, ZLH_PROXMOX_TOKEN_ID, ZLH_PROXMOX_TOKEN_SECRET: all three or none (null). */
  proxmox: { url: string; tokenId: string; tokenSecret: string } | null;
  /** ZLH_EDGE_PROVIDERS (and the ZLH_EDGE_WEBHOOK_URL shorthand); empty: nothing is published. */
  edgeProviders: EdgeProvider[];
  /** ZLH_EDGE_PASS_INTERVAL_MS, ZLH_EDGE_AUDIT_INTERVAL_MS, ZLH_EDGE_DELETE_GRACE_SECONDS (as ms) */
  edgeTiming: { passIntervalMs: number; auditIntervalMs: number; deleteGraceMs: number };
  /** How servers are named on the edge (ZLH_EDGE_*); null without a zone. */
  edgeNaming: EdgeNaming | null;
  /** ZLH_ARTIFACT_SOURCE */
  artifactSource: ArtifactSourceKind;
  /** ZLH_ARTIFACT_MIRROR */
  artifactMirror: string | null;
  /** ZLH_SECRETS_KEY seals; it and ZLH_SECRETS_KEY_PREVIOUS unseal. */
  secretsKeys: SecretsKeyring;
  /** LOG_LEVEL */
  logLevel: string;
  /** LOG_FORMAT */
  logFormat: "json" | "pretty";
  /** ZLH_RATE_LIMIT_PER_CLIENT, ZLH_RATE_LIMIT_PER_ADDRESS */
  rateLimit: { perClient: number; perAddress: number };
  /** ZLH_HTTP_REQUEST_TIMEOUT_MS, ZLH_HTTP_IDLE_TIMEOUT_MS */
  http: { requestTimeoutMs: number; idleTimeoutMs: number };
  /** ZLH_TLS_CERT_FILE, ZLH_TLS_KEY_FILE: both or neither (null: plain HTTP). */
  tls: { certFile: string; keyFile: string } | null;
  /** ZLH_EVENT_STREAM_POLL_MS; a comment line goes out every `keepAliveMs` on a quiet stream. */
  eventStream: { pollMs: number; keepAliveMs: number };
  /** ZLH_STREAM_TOKEN_RECHECK_MS, ZLH_STREAM_MAX_DURATION_MS, ZLH_LOG_STREAMS_PER_CLIENT, ZLH_LOG_STREAMS_PER_SERVER, ZLH_EVENT_STREAMS_PER_CLIENT */
  streams: { tokenRecheckMs: number; maxDurationMs: number; logsPerClient: number; logsPerServer: number; eventsPerClient: number; downloadsPerServer: number };
  /** ZLH_MODPACK_MAX_BYTES */
  modpackMaxBytes: number;
  /** ZLH_MODPACK_RETENTION_DAYS, in milliseconds */
  modpackRetentionMs: number;
  /** ZLH_MODPACK_CUSTOMER_QUOTA_BYTES */
  modpackCustomerQuotaBytes: number;
  /** ZLH_MODPACK_UPLOAD_CONCURRENCY */
  modpackUploadConcurrency: number;
  /** ZLH_NEOFORGE_RETENTION_DAYS, in milliseconds */
  neoforgeRetentionMs: number;
  /** ZLH_NEOFORGE_NEW_BUILDS_PER_DAY */
  neoforgeNewBuildsPerDay: number;
  /** ZLH_NEOFORGE_JAVA */
  neoforgeJava: string;
  /** ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES (0: no bound but the heap's) */
  neoforgeInstallerMemoryBytes: number;
  /** ZLH_EVENT_RETENTION_DAYS, ZLH_OPERATION_RETENTION_DAYS, ZLH_SCHEDULE_RUN_RETENTION_DAYS, in milliseconds */
  retention: RetentionMs;
  /** ZLH_BACKUP_KEEP, ZLH_BACKUP_MAX_AGE_DAYS */
  backupRetention: { keep: number; maxAgeDays: number };
  /** ZLH_COMMAND_TIMEOUT_MS */
  commandTimeoutMs: number;
  /** ZLH_SCHEDULE_TICK_MS, ZLH_SCHEDULE_TOLERANCE_MS, ZLH_SCHEDULE_MIN_INTERVAL_MS, ZLH_SCHEDULES_PER_SERVER */
  schedules: { tickMs: number; toleranceMs: number; minIntervalMs: number; perServer: number };
  /** ZLH_METRICS_PUBLIC */
  metricsPublic: boolean;
  /** ZLH_CONSOLE_TOKEN_TTL_MS, ZLH_CONSOLE_ORIGINS */
  console: { tokenTtlMs: number; origins: readonly string[] };
}

export function loadConfig(env: Env): ControlPlaneConfig {
  const read = envReader(env, CONTROL_PLANE_ENV);
  const databaseUrl = read.required("DATABASE_URL");
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must be a postgres:// or postgresql:// URL.");
  }
  const artifactSource = read.choice("ZLH_ARTIFACT_SOURCE");
  const edgeNaming = readEdgeNaming(read);
  return {
    databaseUrl,
    port: read.integer("PORT"),
    host: read.textWithDefault("HOST"),
    apiClients: apiClients(read.required("ZLH_API_TOKENS")),
    vmidRange: read.range("ZLH_VMID_RANGE"),
    portRange: read.range("ZLH_PORT_RANGE"),
    leaseTtlMs: read.integer("ZLH_LEASE_TTL_MS"),
    agentTokenGraceMs: read.integer("ZLH_AGENT_TOKEN_GRACE_MS"),
    reconcileIntervalMs: read.integer("ZLH_RECONCILE_INTERVAL_MS"),
    reconcileRecheckMs: read.integer("ZLH_RECONCILE_RECHECK_MS"),
    workerConcurrency: read.integer("ZLH_WORKER_CONCURRENCY"),
    placementPolicy: read.choice("ZLH_PLACEMENT_POLICY"),
    proxmox: proxmox(read),
    artifactSource,
    artifactMirror: artifactMirror(artifactSource, read.text("ZLH_ARTIFACT_MIRROR")),
    secretsKeys: secretsKeyring(read.required("ZLH_SECRETS_KEY"), read.text("ZLH_SECRETS_KEY_PREVIOUS")),
    edgeNaming,
    edgeProviders: edgeProviders(read, edgeNaming),
    edgeTiming: {
      passIntervalMs: read.integer("ZLH_EDGE_PASS_INTERVAL_MS"),
      auditIntervalMs: read.integer("ZLH_EDGE_AUDIT_INTERVAL_MS"),
      deleteGraceMs: read.integer("ZLH_EDGE_DELETE_GRACE_SECONDS") * 1000,
    },
    logLevel: read.choice("LOG_LEVEL"),
    logFormat: read.choice("LOG_FORMAT"),
    rateLimit: {
      perClient: read.integer("ZLH_RATE_LIMIT_PER_CLIENT"),
      perAddress: read.integer("ZLH_RATE_LIMIT_PER_ADDRESS"),
    },
    http: {
      requestTimeoutMs: read.integer("ZLH_HTTP_REQUEST_TIMEOUT_MS"),
      idleTimeoutMs: read.integer("ZLH_HTTP_IDLE_TIMEOUT_MS"),
    },
    tls: tls(read),
    backupRetention: { keep: read.integer("ZLH_BACKUP_KEEP"), maxAgeDays: read.integer("ZLH_BACKUP_MAX_AGE_DAYS") },
    commandTimeoutMs: read.integer("ZLH_COMMAND_TIMEOUT_MS"),
    schedules: {
      tickMs: read.integer("ZLH_SCHEDULE_TICK_MS"),
      toleranceMs: read.integer("ZLH_SCHEDULE_TOLERANCE_MS"),
      minIntervalMs: read.integer("ZLH_SCHEDULE_MIN_INTERVAL_MS"),
      perServer: read.integer("ZLH_SCHEDULES_PER_SERVER"),
    },
    streams: {
      tokenRecheckMs: read.integer("ZLH_STREAM_TOKEN_RECHECK_MS"),
      maxDurationMs: read.integer("ZLH_STREAM_MAX_DURATION_MS"),
      logsPerClient: read.integer("ZLH_LOG_STREAMS_PER_CLIENT"),
      logsPerServer: read.integer("ZLH_LOG_STREAMS_PER_SERVER"),
      eventsPerClient: read.integer("ZLH_EVENT_STREAMS_PER_CLIENT"),
      downloadsPerServer: read.integer("ZLH_BACKUP_DOWNLOADS_PER_SERVER"),
    },
    // The keep-alive comment's period is fixed: it only has to beat idle timeouts of proxies in between.
    eventStream: { pollMs: read.integer("ZLH_EVENT_STREAM_POLL_MS"), keepAliveMs: 15_000 },
    metricsPublic: read.choice("ZLH_METRICS_PUBLIC") === "true",
    modpackMaxBytes: read.integer("ZLH_MODPACK_MAX_BYTES"),
    modpackRetentionMs: read.integer("ZLH_MODPACK_RETENTION_DAYS") * 86_400_000,
    modpackCustomerQuotaBytes: read.integer("ZLH_MODPACK_CUSTOMER_QUOTA_BYTES"),
    modpackUploadConcurrency: read.integer("ZLH_MODPACK_UPLOAD_CONCURRENCY"),
    neoforgeRetentionMs: read.integer("ZLH_NEOFORGE_RETENTION_DAYS") * 86_400_000,
    neoforgeNewBuildsPerDay: read.integer("ZLH_NEOFORGE_NEW_BUILDS_PER_DAY"),
    neoforgeJava: read.textWithDefault("ZLH_NEOFORGE_JAVA"),
    neoforgeInstallerMemoryBytes: installerMemory(read.integer("ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES")),
    retention: {
      eventsMs: read.integer("ZLH_EVENT_RETENTION_DAYS") * 86_400_000,
      operationsMs: read.integer("ZLH_OPERATION_RETENTION_DAYS") * 86_400_000,
      scheduleRunsMs: read.integer("ZLH_SCHEDULE_RUN_RETENTION_DAYS") * 86_400_000,
    },
    console: { tokenTtlMs: read.integer("ZLH_CONSOLE_TOKEN_TTL_MS"), origins: origins(read.text("ZLH_CONSOLE_ORIGINS")) },
  };
}

/** A bound a JVM cannot even start in is a typo, not a bound: 0 (none) or at least this. */
const INSTALLER_MEMORY_MIN_BYTES = 256 * 1024 * 1024;

function installerMemory(bytes: number): number {
  if (bytes !== 0 && bytes < INSTALLER_MEMORY_MIN_BYTES) throw new ConfigError("ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES", `must be 0 (no bound but the heap's) or at least ${INSTALLER_MEMORY_MIN_BYTES} (256 MiB).`);
  return bytes;
}

function origins(raw: string | null): string[] {
  const list = (raw ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  for (const o of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(o)) throw new ConfigError("ZLH_CONSOLE_ORIGINS", `${JSON.stringify(o)} is not an origin (scheme://host[:port], no path).`);
  }
  return list;
}

type Reader = ReturnType<typeof envReader<typeof CONTROL_PLANE_ENV>>;

function httpUrl(name: string, raw: string | null): string | null {
  if (!raw) return null;
  if (!/^https?:\/\/[^/\s]+/.test(raw)) throw new ConfigError(name, "must be an http:// or https:// URL.");
  return raw;
}

function proxmox(read: Reader): ControlPlaneConfig["proxmox"] {
  const url = httpUrl("ZLH_PROXMOX_URL", read.text("ZLH_PROXMOX_URL"));
  const tokenId = read.text("ZLH_PROXMOX_TOKEN_ID");
  const tokenSecret = read.text("ZLH_PROXMOX_TOKEN_SECRET");
  if (!url && !tokenId && !tokenSecret) return null;
  if (!url) throw new ConfigError("ZLH_PROXMOX_URL", "is required when a Proxmox token is set.");
  if (!tokenId || !/^[^@\s]+@[^!\s]+![^\s]+$/.test(tokenId)) throw new ConfigError("ZLH_PROXMOX_TOKEN_ID", "must look like user@realm!tokenname.");
  if (!tokenSecret || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(tokenSecret)) {
    throw new ConfigError("ZLH_PROXMOX_TOKEN_SECRET", "must be the token's secret, a lowercase UUID.");
  }
  return { url, tokenId, tokenSecret };
}

function tls(read: Reader): ControlPlaneConfig["tls"] {
  const certFile = read.text("ZLH_TLS_CERT_FILE");
  const keyFile = read.text("ZLH_TLS_KEY_FILE");
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) throw new ConfigError(certFile ? "ZLH_TLS_KEY_FILE" : "ZLH_TLS_CERT_FILE", "is required when the other TLS file is set.");
  return { certFile, keyFile };
}

function edgeProviders(read: Reader, naming: EdgeNaming | null): EdgeProvider[] {
  const url = httpUrl("ZLH_EDGE_WEBHOOK_URL", read.text("ZLH_EDGE_WEBHOOK_URL"));
  const raw = read.text("ZLH_EDGE_PROVIDERS");
  const name = raw ? "ZLH_EDGE_PROVIDERS" : "ZLH_EDGE_WEBHOOK_URL";
  if (!raw && !url) return [];
  if (!naming) throw new ConfigError(name, "needs ZLH_EDGE_ZONE: a server's records are named under it.");
  const secret = read.text("ZLH_EDGE_WEBHOOK_SECRET");
  try {
    const edgePort = read.integer("ZLH_EDGE_PORT");
    const providers = raw ? parseEdgeProviders(raw, naming, EDGE_PROVIDER_FACTORIES, undefined, edgePort) : [];
    if (url && providers.some((p) => p.name === "webhook")) throw new EdgeConfigError("a provider is named webhook, as ZLH_EDGE_WEBHOOK_URL's is.");
    return [...providers, ...shorthandWebhook(url, secret, naming, edgePort)];
  } catch (err) {
    if (err instanceof EdgeConfigError) throw new ConfigError(name, err.message);
    throw err;
  }
}

/** ZLH_EDGE_WEBHOOK_URL's provider; a refusal names the variable the operator set (the URL or the secret), not the list's. */
function shorthandWebhook(url: string | null, secret: string | null, naming: EdgeNaming, edgePort: number | undefined): EdgeProvider[] {
  if (!url) return [];
  try {
    return parseEdgeProviders(JSON.stringify([{ name: "webhook", kind: "webhook", url, ...(secret !== null ? { secret } : {}) }]), naming, EDGE_PROVIDER_FACTORIES, undefined, edgePort);
  } catch (err) {
    if (!(err instanceof EdgeConfigError)) throw err;
    const variable = err.field === "secret" ? "ZLH_EDGE_WEBHOOK_SECRET" : "ZLH_EDGE_WEBHOOK_URL";
    throw new ConfigError(variable, err.message);
  }
}

function readEdgeNaming(read: Reader): ControlPlaneConfig["edgeNaming"] {
  // The template and the address are checked even without a zone: a typo must not wait until one is set.
  let template;
  try {
    template = parseNameTemplate(read.textWithDefault("ZLH_EDGE_NAME_TEMPLATE"));
  } catch (err) {
    throw new ConfigError("ZLH_EDGE_NAME_TEMPLATE", (err as Error).message);
  }
  const address = read.text("ZLH_EDGE_ADDRESS");
  if (address !== null && !isReportableIpv4(address)) throw new ConfigError("ZLH_EDGE_ADDRESS", "must be a unicast IPv4 address (the edge proxy's).");
  const port = read.integer("ZLH_EDGE_PORT");
  const ttl = read.integer("ZLH_EDGE_TTL");
  const zoneText = read.text("ZLH_EDGE_ZONE");
  if (zoneText === null) return null;
  let zone;
  try {
    zone = parseZone(zoneText);
  } catch (err) {
    throw new ConfigError("ZLH_EDGE_ZONE", err instanceof NamingError ? err.message : String(err));
  }
  return { zone, template, edge: address === null ? null : { address, port }, ttl };
}

function apiClients(tokens: string): ApiClientToken[] {
  const entries = tokens
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigError("ZLH_API_TOKENS", "must list at least one token.");
  const clients = entries.map(parseApiClientEntry);
  const scopeOf = new Map<string, ApiScope>();
  for (const c of clients) {
    const seen = scopeOf.get(c.name);
    if (seen && seen !== c.scope) throw new ConfigError("ZLH_API_TOKENS", `client ${JSON.stringify(c.name)} is given two scopes (${seen}, ${c.scope}).`);
    scopeOf.set(c.name, c.scope);
  }
  return clients;
}

/** One ZLH_API_TOKENS entry: `token`, `name=token` or `name:scope=token`. */
export function parseApiClientEntry(entry: string): ApiClientToken {
  const eq = entry.indexOf("=");
  const token = eq < 0 ? entry : entry.slice(eq + 1);
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError("ZLH_API_TOKENS", "every token must be at least 16 characters without spaces (entries are token, name=token or name:scope=token).");
  }
  // The example env file's placeholders pass the length rule; one left in would be a published admin token.
  if (/CHANGE-ME/i.test(token)) throw new ConfigError("ZLH_API_TOKENS", "a token is still the example's CHANGE-ME placeholder; generate one with `openssl rand -base64 32`.");
  if (eq < 0) return { name: sha256Hex(token), scope: "admin", token };
  const [name = "", scope = "admin", ...rest] = entry.slice(0, eq).split(":");
  if (!CLIENT_NAME_PATTERN.test(name) || rest.length > 0) {
    throw new ConfigError("ZLH_API_TOKENS", `${JSON.stringify(entry.slice(0, eq))} is not a client name (letters, digits, . _ -; up to 64) with an optional :scope.`);
  }
  if (!(API_SCOPES as readonly string[]).includes(scope)) {
    throw new ConfigError("ZLH_API_TOKENS", `scope ${JSON.stringify(scope)} of client ${name} is not one of ${API_SCOPES.join(", ")}.`);
  }
  return { name, scope: scope as ApiScope, token };
}

function artifactMirror(source: ArtifactSourceKind, mirror: string | null): string | null {
  if (source === "mirror" && !mirror) {
    throw new ConfigError("ZLH_ARTIFACT_MIRROR", "is required with ZLH_ARTIFACT_SOURCE=mirror (a directory or an http(s) base URL).");
  }
  return mirror;
}

function secretsKeyring(current: string, previous: string | null): SecretsKeyring {
  const key = (name: string, base64: string) => {
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length !== 32) throw new ConfigError(name, "must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`).");
    return secretsKey(bytes);
  };
  const keys = {
    current: key("ZLH_SECRETS_KEY", current),
    previous: (previous ?? "").split(",").map((k) => k.trim()).filter(Boolean).map((k) => key("ZLH_SECRETS_KEY_PREVIOUS", k)),
  };
  if (keys.previous.some((k) => k.id === keys.current.id)) throw new ConfigError("ZLH_SECRETS_KEY_PREVIOUS", "holds ZLH_SECRETS_KEY itself: list only the keys being rotated away from.");
  return keys;
}
