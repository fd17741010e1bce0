/**
 * The agent's configuration, parsed and validated from the environment. Every variable is read through the table
 * in configVars.ts (types, defaults, bounds, descriptions; docs/configuration.md is generated from it).
 * `loadAgentConfig(env)` is called by main(); nothing reads process.env at import.
 */
import type { ArtifactSourceKind } from "@zlh/artifacts";
import { ConfigError, envReader, type Env } from "@zlh/domain";
import { AGENT_ENV } from "./configVars";

/** The agent's configuration; each field names the variables it comes from, explained in `AGENT_ENV`. */
export interface AgentConfig {
  /** ZLH_CONTROL_URL (plaintext outside loopback only with ZLH_ALLOW_INSECURE_CONTROL_URL=true) */
  controlUrl: string;
  /** ZLH_AGENT_TOKEN */
  agentToken: string;
  /** ZLH_RUNTIME */
  runtime: "pct" | "sim" | "lxc";
  /** ZLH_SIM_ROOT */
  simRoot: string;
  /** ZLH_SIM_OP_DELAY_MS */
  simOpDelayMs: number;
  /** ZLH_SIM_FAULTS; null: no faults. */
  simFaults: { lock: number; startFail: number; createErrorAfterSuccess: number; seed: number } | null;
  /** ZLH_STATE_DIR */
  stateDir: string;
  /** ZLH_BACKUP_DIR */
  backupDir: string;
  /** ZLH_AGENT_CONCURRENCY */
  concurrency: number;
  /** ZLH_READY_TIMEOUT_MS */
  readyTimeoutMs: number;
  /** ZLH_STOP_TIMEOUT_MS */
  stopTimeoutMs: number;
  /** ZLH_SHUTDOWN_GRACE_MS */
  shutdownGraceMs: number;
  /** ZLH_PCT_BIN, ZLH_PCT_STORAGE, ZLH_PCT_TEMPLATE, ZLH_PCT_BRIDGE */
  pct: { bin: string; storage: string; template: string; bridge: string };
  /** ZLH_LXC_TEMPLATE; null: the one `pnpm host:prepare` builds. */
  lxcTemplate: string | null;
  /** ZLH_ARTIFACT_SOURCE */
  artifactSource: ArtifactSourceKind;
  /** ZLH_ARTIFACT_MIRROR */
  artifactMirror: string | null;
  /** ZLH_AGENT_CACHE_MAX_BYTES */
  cacheMaxBytes: number;
  /** Free bytes a download must leave on the cache's filesystem (ZLH_AGENT_CACHE_MIN_FREE_BYTES). */
  cacheMinFreeBytes: number;
  /** LOG_LEVEL */
  logLevel: string;
  /** LOG_FORMAT */
  logFormat: "json" | "pretty";
  /** ZLH_LOG_NAME */
  logName: string;
  /** ZLH_AGENT_METRICS_LISTEN (null: no metrics endpoint), ZLH_AGENT_METRICS_ALLOW_REMOTE */
  metricsListen: { host: string; port: number } | null;
}

type Reader = ReturnType<typeof envReader<typeof AGENT_ENV>>;

export function loadAgentConfig(env: Env): AgentConfig {
  const read = envReader(env, AGENT_ENV);
  const controlUrl = read.required("ZLH_CONTROL_URL");
  if (!/^(https?|wss?):\/\/[^/]+/.test(controlUrl)) {
    throw new ConfigError("ZLH_CONTROL_URL", "must be an http(s):// or ws(s):// URL.");
  }
  if (!isEncryptedOrLoopback(controlUrl) && read.text("ZLH_ALLOW_INSECURE_CONTROL_URL") !== "true") {
    throw new ConfigError(
      "ZLH_CONTROL_URL",
      "must be https:// or wss:// outside loopback: RCON passwords travel over it (set ZLH_ALLOW_INSECURE_CONTROL_URL=true on a trusted network).",
    );
  }
  const runtime = read.choice("ZLH_RUNTIME");
  const stateDir = read.textWithDefault("ZLH_STATE_DIR");
  return {
    controlUrl,
    agentToken: read.required("ZLH_AGENT_TOKEN"),
    runtime,
    simRoot: read.text("ZLH_SIM_ROOT") ?? `${stateDir}/sim`,
    simOpDelayMs: read.integer("ZLH_SIM_OP_DELAY_MS"),
    simFaults: simFaults(read.text("ZLH_SIM_FAULTS")),
    stateDir,
    concurrency: read.integer("ZLH_AGENT_CONCURRENCY"),
    backupDir: read.text("ZLH_BACKUP_DIR") ?? `${stateDir}/backups`,
    readyTimeoutMs: read.integer("ZLH_READY_TIMEOUT_MS"),
    stopTimeoutMs: read.integer("ZLH_STOP_TIMEOUT_MS"),
    shutdownGraceMs: read.integer("ZLH_SHUTDOWN_GRACE_MS"),
    pct: {
      bin: read.textWithDefault("ZLH_PCT_BIN"),
      storage: read.textWithDefault("ZLH_PCT_STORAGE"),
      template: read.textWithDefault("ZLH_PCT_TEMPLATE"),
      bridge: read.textWithDefault("ZLH_PCT_BRIDGE"),
    },
    lxcTemplate: read.text("ZLH_LXC_TEMPLATE"),
    artifactSource: artifactSource(read),
    artifactMirror: read.text("ZLH_ARTIFACT_MIRROR"),
    cacheMaxBytes: read.integer("ZLH_AGENT_CACHE_MAX_BYTES"),
    cacheMinFreeBytes: read.integer("ZLH_AGENT_CACHE_MIN_FREE_BYTES"),
    logLevel: read.choice("LOG_LEVEL"),
    logFormat: read.choice("LOG_FORMAT"),
    logName: read.textWithDefault("ZLH_LOG_NAME"),
    metricsListen: metricsListen(read.text("ZLH_AGENT_METRICS_LISTEN"), read.text("ZLH_AGENT_METRICS_ALLOW_REMOTE") === "true"),
  };
}

/** ZLH_AGENT_METRICS_LISTEN as host and port; loopback only unless allowed (the endpoint has no token). */
function metricsListen(raw: string | null, allowRemote: boolean): AgentConfig["metricsListen"] {
  if (!raw) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(raw);
  const port = Number(m?.[3]);
  if (!m || !(port >= 1 && port <= 65535)) throw new ConfigError("ZLH_AGENT_METRICS_LISTEN", `cannot read ${JSON.stringify(raw)}; expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464.`);
  const host = (m[1] ?? m[2])!;
  if (!allowRemote && !isLoopbackHost(host)) {
    throw new ConfigError("ZLH_AGENT_METRICS_LISTEN", `${host} is not a loopback address: the metrics endpoint has no token; set ZLH_AGENT_METRICS_ALLOW_REMOTE=true to serve it on a network you trust.`);
  }
  return { host, port };
}

/** Whether the URL is TLS, or plaintext that never leaves the host. */
export function isEncryptedOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === "https:" || parsed.protocol === "wss:") return true;
  return isLoopbackHost(parsed.hostname.replace(/^\[|\]$/g, ""));
}

function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function artifactSource(read: Reader): ArtifactSourceKind {
  const kind = read.choice("ZLH_ARTIFACT_SOURCE");
  if (kind === "mirror" && !read.text("ZLH_ARTIFACT_MIRROR")) throw new ConfigError("ZLH_ARTIFACT_MIRROR", "is required with ZLH_ARTIFACT_SOURCE=mirror.");
  return kind;
}

function simFaults(raw: string | null): AgentConfig["simFaults"] {
  if (!raw) return null;
  const f = { lock: 0, startFail: 0, createErrorAfterSuccess: 0, seed: 1 };
  for (const part of raw.split(",")) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if (!k || !(k in f) || !Number.isFinite(n) || n < 0 || (k !== "seed" && n > 1)) {
      throw new ConfigError("ZLH_SIM_FAULTS", `cannot read ${JSON.stringify(part)}; expected e.g. lock=0.05,startFail=0.05,createErrorAfterSuccess=0.05,seed=42.`);
    }
    f[k as keyof typeof f] = n;
  }
  return f;
}
