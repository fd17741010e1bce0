/**
 * Every environment variable the control plane reads, each explained once.
 * `loadConfig(env)` is called by main(); nothing reads process.env at import.
 */
import type { ArtifactSourceKind } from "@zlh/artifacts";
import { ConfigError, intVar as int, LOG_LEVELS, oneOfVar as oneOf, parseRange, requiredVar as required, type Env, type IntRange } from "@zlh/domain";

export interface ControlPlaneConfig {
  /** DATABASE_URL: the Postgres database that is the source of truth. Required. */
  databaseUrl: string;
  /** PORT: TCP port of the HTTP API and the agent websocket gateway. Default 3000. */
  port: number;
  /** HOST: address to listen on. Default 0.0.0.0, so agents on other hosts can dial in. */
  host: string;
  /** ZLH_API_TOKENS: comma-separated admin bearer tokens for the panel API (16+ characters each). Required. */
  apiTokens: string[];
  /** ZLH_VMID_RANGE: VMIDs this control plane may hand out, "first-last". Default 5000-5999. */
  vmidRange: IntRange;
  /** ZLH_PORT_RANGE: host ports handed out to servers (game + RCON), "first-last". Default 40000-44999. */
  portRange: IntRange;
  /** ZLH_LEASE_TTL_MS: how long an agent holds an operation without renewing it. Default 15000. */
  leaseTtlMs: number;
  /** ZLH_RECONCILE_INTERVAL_MS: period of the reconciliation job. Default 30000. */
  reconcileIntervalMs: number;
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
    apiTokens: apiTokens(env),
    vmidRange: range(env, "ZLH_VMID_RANGE", "5000-5999", 100, 999_999_999),
    portRange: range(env, "ZLH_PORT_RANGE", "40000-44999", 1024, 65535),
    leaseTtlMs: int(env, "ZLH_LEASE_TTL_MS", 15_000, 300, 3_600_000),
    reconcileIntervalMs: int(env, "ZLH_RECONCILE_INTERVAL_MS", 30_000, 200, 86_400_000),
    workerConcurrency: int(env, "ZLH_WORKER_CONCURRENCY", 4, 1, 64),
    proxmox: proxmox(env),
    artifactSource: oneOf<ArtifactSourceKind>(env, "ZLH_ARTIFACT_SOURCE", "upstream", ["upstream", "mirror", "offline"]),
    artifactMirror: artifactMirror(env),
    secretsKey: secretsKey(env),
    edgeWebhook: edgeWebhook(env),
    logLevel: oneOf(env, "LOG_LEVEL", "info", LOG_LEVELS),
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


function apiTokens(env: Env): string[] {
  const tokens = required(env, "ZLH_API_TOKENS")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.length === 0) throw new ConfigError("ZLH_API_TOKENS", "must list at least one token.");
  if (tokens.some((t) => t.length < 16 || /\s/.test(t))) {
    throw new ConfigError("ZLH_API_TOKENS", "every token must be at least 16 characters without spaces.");
  }
  return tokens;
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
