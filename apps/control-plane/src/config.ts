/**
 * Every environment variable the control plane reads, each explained once.
 * `loadConfig(env)` is called by main(); nothing reads process.env at import.
 */
import type { ArtifactSourceKind } from "@zlh/artifacts";
import { createHash } from "node:crypto";
import { API_SCOPES, CLIENT_NAME_PATTERN, ConfigError, type ApiScope, intVar as int, LOG_LEVELS, oneOfVar as oneOf, parseRange, requiredVar as required, type Env, type IntRange } from "@zlh/domain";

/** An API client's token, from ZLH_API_TOKENS. */
export interface ApiClientToken {
  name: string;
  scope: ApiScope;
  token: string;
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

export interface ControlPlaneConfig {
  /** DATABASE_URL: the Postgres database that is the source of truth. Required. */
  databaseUrl: string;
  /** PORT: TCP port of the HTTP API and the agent websocket gateway. Default 3000. */
  port: number;
  /** HOST: address to listen on. Default 0.0.0.0, so agents on other hosts can dial in. */
  host: string;
  /**
   * ZLH_API_TOKENS: the API's clients, comma-separated; each entry `name=token` or `name:scope=token` (split at the
   * first `=`; scope `read`, `panel` or `admin`, default admin), tokens 16+ characters. Two entries with the same
   * name are the same client (how a token is rotated without downtime: add the new one, move the panel, remove the
   * old). A bare `token` stays valid (admin; its client name is the token's sha256, what idempotency keys were
   * scoped to before clients had names). More tokens can live in the database (POST /v1/api-tokens). Required.
   */
  apiClients: ApiClientToken[];
  /** ZLH_VMID_RANGE: VMIDs this control plane may hand out, "first-last". Default 5000-5999. */
  vmidRange: IntRange;
  /** ZLH_PORT_RANGE: ports handed out to servers (game + RCON) on each host, "first-last": unique per host, reused across hosts. Default 40000-44999. */
  portRange: IntRange;
  /** ZLH_LEASE_TTL_MS: how long an agent holds an operation without renewing it. Default 15000. */
  leaseTtlMs: number;
  /** ZLH_RECONCILE_INTERVAL_MS: period of the reconciliation job. Each pass judges only hosts whose evidence or servers changed, or whose recheck is due. Default 30000. */
  reconcileIntervalMs: number;
  /**
   * ZLH_RECONCILE_RECHECK_MS: every host is judged again at least this often even when nothing it reports changed
   * (the safety net for changes reconciliation cannot see, such as a server elsewhere that a container's marker names).
   * Default 300000 (5 minutes).
   */
  reconcileRecheckMs: number;
  /**
   * ZLH_PLACEMENT_POLICY: which host a new server goes to, among those not cordoned, not known down, with room:
   * `spread` (the most free memory; default) or `pack` (the least free memory that fits: fills hosts one by one).
   */
  placementPolicy: "spread" | "pack";
  /** ZLH_WORKER_CONCURRENCY: graphile-worker jobs run at once by this process. Default 4. */
  workerConcurrency: number;
  /**
   * ZLH_PROXMOX_URL (https://host:8006), ZLH_PROXMOX_TOKEN_ID (user@realm!name), ZLH_PROXMOX_TOKEN_SECRET:
   * the Proxmox API, read by reconciliation to see every guest (also on hosts whose agent is down).
   * All three or none; none means reconciliation uses agent inventories only.
   */
  proxmox: { url: string; tokenId: string; tokenSecret: string } | null;
  /**
   * ZLH_EDGE_WEBHOOK_URL: where DNS/edge publish and unpublish calls go (POST, JSON). Unset: edge publishing is a no-op.
   * ZLH_EDGE_WEBHOOK_SECRET: if set, each call carries an HMAC-SHA256 of its body in X-ZLH-Signature.
   */
  edgeWebhook: { url: string; secret: string | null } | null;
  /**
   * ZLH_ARTIFACT_SOURCE: where Fabric, Mojang and Modrinth metadata and files come from when resolving manifests:
   * `upstream` (the real APIs; default), `mirror` (ZLH_ARTIFACT_MIRROR: a directory or an http(s) base URL holding
   * the same files by path), `offline` (the small fixture mirror bundled in fixtures/offline-mirror; `pnpm dev` uses it).
   */
  artifactSource: ArtifactSourceKind;
  artifactMirror: string | null;
  /** ZLH_SECRETS_KEY: 32 bytes, base64; encrypts per-server secrets (RCON passwords) at rest. Required. */
  secretsKey: Buffer;
  /** LOG_LEVEL: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  logLevel: string;
  /** LOG_FORMAT: `json` (one object per line, for a log shipper; default) or `pretty` (readable, for a terminal; `pnpm dev`). */
  logFormat: "json" | "pretty";
  /**
   * ZLH_RATE_LIMIT_PER_CLIENT: requests a minute one API client (by name, over all its tokens) may make. Default 1200.
   * ZLH_RATE_LIMIT_PER_ADDRESS: requests a minute from one source address, before authentication (unauthenticated
   * floods, agent upgrades included). Default 6000. Both per control-plane process; over the limit: 429 rate_limited
   * with Retry-After.
   */
  rateLimit: { perClient: number; perAddress: number };
  /**
   * ZLH_HTTP_REQUEST_TIMEOUT_MS: the longest a client may take to send a whole request (headers and body); a slower
   * one gets 408 and is disconnected (a trickled body cannot hold a socket). Default 30000.
   * ZLH_HTTP_IDLE_TIMEOUT_MS: an idle connection is closed after this long. Default 65000.
   */
  http: { requestTimeoutMs: number; idleTimeoutMs: number };
  /**
   * ZLH_TLS_CERT_FILE, ZLH_TLS_KEY_FILE: PEM files; both set, the API and the agent gateway are served over HTTPS/WSS.
   * Unset, serve plain HTTP behind a TLS-terminating proxy (agents refuse plaintext outside loopback).
   */
  tls: { certFile: string; keyFile: string } | null;
  /**
   * ZLH_EVENT_STREAM_POLL_MS: how often an open event stream (GET /v1/events/stream) looks for new events. Default 1000.
   * A comment line goes out every 15 s on a quiet stream.
   */
  eventStream: { pollMs: number; keepAliveMs: number };
  /**
   * What a client may hold open (see README "Clients, scopes and limits"):
   * ZLH_STREAM_TOKEN_RECHECK_MS: an open stream (events or a console log) checks its token again this often and ends
   * once it is revoked. Default 5000.
   * ZLH_STREAM_MAX_DURATION_MS: a stream ends after this long (an EventSource reconnects and resumes). Default 3600000.
   * ZLH_LOG_STREAMS_PER_CLIENT, ZLH_LOG_STREAMS_PER_SERVER: open console-log streams per API client (100) and per
   * server (5), counted in the database, so across every control-plane process.
   * ZLH_EVENT_STREAMS_PER_CLIENT: open event-feed streams per API client, per process. Default 50.
   */
  streams: { tokenRecheckMs: number; maxDurationMs: number; logsPerClient: number; logsPerServer: number; eventsPerClient: number };
  /** ZLH_BACKUP_KEEP, ZLH_BACKUP_MAX_AGE_DAYS: retention: completed backups kept per server (7), and their longest life in days (30). */
  backupRetention: { keep: number; maxAgeDays: number };
  /** ZLH_COMMAND_TIMEOUT_MS: how long POST /v1/servers/:id/commands waits for the server's reply. Default 15000. */
  commandTimeoutMs: number;
  /** ZLH_METRICS_PUBLIC: `true` serves GET /metrics without a token (for a scraper on a private network). Default false: admin token. */
  metricsPublic: boolean;
}

export function loadConfig(env: Env): ControlPlaneConfig {
  const databaseUrl = required(env, "DATABASE_URL");
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL", "must be a postgres:// or postgresql:// URL.");
  }
  return {
    databaseUrl,
    port: int(env, "PORT", 3000, 0, 65535),
    host: env.HOST?.trim() || "0.0.0.0",
    apiClients: apiClients(env),
    vmidRange: range(env, "ZLH_VMID_RANGE", "5000-5999", 100, 999_999_999),
    portRange: range(env, "ZLH_PORT_RANGE", "40000-44999", 1024, 65535),
    leaseTtlMs: int(env, "ZLH_LEASE_TTL_MS", 15_000, 300, 3_600_000),
    reconcileIntervalMs: int(env, "ZLH_RECONCILE_INTERVAL_MS", 30_000, 200, 86_400_000),
    reconcileRecheckMs: int(env, "ZLH_RECONCILE_RECHECK_MS", 300_000, 1_000, 86_400_000),
    workerConcurrency: int(env, "ZLH_WORKER_CONCURRENCY", 4, 1, 64),
    placementPolicy: oneOf(env, "ZLH_PLACEMENT_POLICY", "spread", ["spread", "pack"] as const),
    proxmox: proxmox(env),
    artifactSource: oneOf<ArtifactSourceKind>(env, "ZLH_ARTIFACT_SOURCE", "upstream", ["upstream", "mirror", "offline"]),
    artifactMirror: artifactMirror(env),
    secretsKey: secretsKey(env),
    edgeWebhook: edgeWebhook(env),
    logLevel: oneOf(env, "LOG_LEVEL", "info", LOG_LEVELS),
    logFormat: oneOf(env, "LOG_FORMAT", "json", ["json", "pretty"] as const),
    rateLimit: {
      perClient: int(env, "ZLH_RATE_LIMIT_PER_CLIENT", 1200, 1, 10_000_000),
      perAddress: int(env, "ZLH_RATE_LIMIT_PER_ADDRESS", 6000, 1, 10_000_000),
    },
    http: {
      requestTimeoutMs: int(env, "ZLH_HTTP_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000),
      idleTimeoutMs: int(env, "ZLH_HTTP_IDLE_TIMEOUT_MS", 65_000, 1000, 3_600_000),
    },
    tls: tls(env),
    backupRetention: { keep: int(env, "ZLH_BACKUP_KEEP", 7, 1, 10_000), maxAgeDays: int(env, "ZLH_BACKUP_MAX_AGE_DAYS", 30, 1, 36_500) },
    commandTimeoutMs: int(env, "ZLH_COMMAND_TIMEOUT_MS", 15_000, 500, 600_000),
    streams: {
      tokenRecheckMs: int(env, "ZLH_STREAM_TOKEN_RECHECK_MS", 5000, 100, 300_000),
      maxDurationMs: int(env, "ZLH_STREAM_MAX_DURATION_MS", 3_600_000, 1000, 86_400_000),
      logsPerClient: int(env, "ZLH_LOG_STREAMS_PER_CLIENT", 100, 1, 100_000),
      logsPerServer: int(env, "ZLH_LOG_STREAMS_PER_SERVER", 5, 1, 1000),
      eventsPerClient: int(env, "ZLH_EVENT_STREAMS_PER_CLIENT", 50, 1, 100_000),
    },
    eventStream: { pollMs: int(env, "ZLH_EVENT_STREAM_POLL_MS", 1000, 50, 60_000), keepAliveMs: 15_000 },
    metricsPublic: oneOf(env, "ZLH_METRICS_PUBLIC", "false", ["true", "false"] as const) === "true",
  };
}

function httpUrl(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  if (!/^https?:\/\/[^/\s]+/.test(raw)) throw new ConfigError(name, "must be an http:// or https:// URL.");
  return raw;
}

function proxmox(env: Env): ControlPlaneConfig["proxmox"] {
  const url = httpUrl(env, "ZLH_PROXMOX_URL");
  const tokenId = env.ZLH_PROXMOX_TOKEN_ID?.trim();
  const tokenSecret = env.ZLH_PROXMOX_TOKEN_SECRET?.trim();
  if (!url && !tokenId && !tokenSecret) return null;
  if (!url) throw new ConfigError("ZLH_PROXMOX_URL", "is required when a Proxmox token is set.");
  if (!tokenId || !/^[^@\s]+@[^!\s]+![^\s]+$/.test(tokenId)) throw new ConfigError("ZLH_PROXMOX_TOKEN_ID", "must look like user@realm!tokenname.");
  if (!tokenSecret || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(tokenSecret)) {
    throw new ConfigError("ZLH_PROXMOX_TOKEN_SECRET", "must be the token's secret, a lowercase UUID.");
  }
  return { url, tokenId, tokenSecret };
}

function tls(env: Env): ControlPlaneConfig["tls"] {
  const certFile = env.ZLH_TLS_CERT_FILE?.trim();
  const keyFile = env.ZLH_TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) throw new ConfigError(certFile ? "ZLH_TLS_KEY_FILE" : "ZLH_TLS_CERT_FILE", "is required when the other TLS file is set.");
  return { certFile, keyFile };
}

function edgeWebhook(env: Env): ControlPlaneConfig["edgeWebhook"] {
  const url = httpUrl(env, "ZLH_EDGE_WEBHOOK_URL");
  if (!url) return null;
  return { url, secret: env.ZLH_EDGE_WEBHOOK_SECRET?.trim() || null };
}



function range(env: Env, name: string, fallback: string, min: number, max: number): IntRange {
  const parsed = parseRange(env[name]?.trim() || fallback, min, max);
  if (typeof parsed === "string") throw new ConfigError(name, `${parsed}.`);
  return parsed;
}


function apiClients(env: Env): ApiClientToken[] {
  const entries = required(env, "ZLH_API_TOKENS")
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

function artifactMirror(env: Env): string | null {
  const mirror = env.ZLH_ARTIFACT_MIRROR?.trim() || null;
  if (env.ZLH_ARTIFACT_SOURCE?.trim() === "mirror" && !mirror) {
    throw new ConfigError("ZLH_ARTIFACT_MIRROR", "is required with ZLH_ARTIFACT_SOURCE=mirror (a directory or an http(s) base URL).");
  }
  return mirror;
}

function secretsKey(env: Env): Buffer {
  const key = Buffer.from(required(env, "ZLH_SECRETS_KEY"), "base64");
  if (key.length !== 32) throw new ConfigError("ZLH_SECRETS_KEY", "must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`).");
  return key;
}
