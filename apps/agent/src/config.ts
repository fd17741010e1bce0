/**
 * Every environment variable the agent reads, each explained once.
 * `loadAgentConfig(env)` is called by main(); nothing reads process.env at import.
 */
import type { ArtifactSourceKind } from "@zlh/artifacts";
import { ConfigError, intVar as int, LOG_LEVELS, oneOfVar, requiredVar as need, type Env } from "@zlh/domain";

export interface AgentConfig {
  /**
   * ZLH_CONTROL_URL: http(s):// or ws(s):// base URL of the control plane. Required. RCON passwords travel
   * over this connection, so a plaintext (http/ws) URL is refused unless its host is a loopback address
   * (localhost, 127.0.0.0/8, ::1) or ZLH_ALLOW_INSECURE_CONTROL_URL=true says the network is trusted
   * (a private link, a VPN).
   */
  controlUrl: string;
  /** ZLH_AGENT_TOKEN: this host's agent token, shown once at enrolment. Required. */
  agentToken: string;
  /** ZLH_RUNTIME: `pct` on a Proxmox host, `lxc` on a plain-LXC host prepared by `pnpm host:prepare`, `sim` elsewhere. Default pct. */
  runtime: "pct" | "sim" | "lxc";
  /** ZLH_SIM_ROOT: sim only; where simulated containers live. Default <ZLH_STATE_DIR>/sim. */
  simRoot: string;
  /** ZLH_SIM_OP_DELAY_MS: sim only; latency added to every container operation. Default 0. */
  simOpDelayMs: number;
  /**
   * ZLH_SIM_FAULTS: sim only, for the chaos harness: `lock=0.05,startFail=0.05,createErrorAfterSuccess=0.05,seed=42`
   * (rates of injected refusals and the seed of their generator). Unset: no faults.
   */
  simFaults: { lock: number; startFail: number; createErrorAfterSuccess: number; seed: number } | null;
  /** ZLH_STATE_DIR: unacknowledged results and the artifact cache. Default /var/lib/zlh-agent. */
  stateDir: string;
  /**
   * ZLH_BACKUP_DIR: where backups are written, `<dir>/<serverId>/<backupId>.tar.gz`: a local disk, or a mounted
   * NFS/CIFS share or Proxmox Backup Server datastore path for copies off the host. Default <ZLH_STATE_DIR>/backups.
   */
  backupDir: string;
  /** ZLH_AGENT_CONCURRENCY: operations executed at once. Default 4. */
  concurrency: number;
  /** ZLH_READY_TIMEOUT_MS: how long a started server may take to answer a status ping. Default 120000. */
  readyTimeoutMs: number;
  /** ZLH_STOP_TIMEOUT_MS: graceful stop window before a forced stop. Default 30000. */
  stopTimeoutMs: number;
  /** ZLH_SHUTDOWN_GRACE_MS: on SIGTERM, how long running operations may take to finish. Default 20000. */
  shutdownGraceMs: number;
  /** ZLH_PCT_BIN, ZLH_PCT_STORAGE, ZLH_PCT_TEMPLATE, ZLH_PCT_BRIDGE: pct only; the pct executable, rootfs storage, OS template, network bridge. */
  pct: { bin: string; storage: string; template: string; bridge: string };
  /** ZLH_LXC_TEMPLATE: lxc only; the template tarball containers are made from. Default the one `pnpm host:prepare` builds. */
  lxcTemplate: string | null;
  /** ZLH_ARTIFACT_SOURCE, ZLH_ARTIFACT_MIRROR: where artifacts are fetched from, as for the control plane (upstream, mirror, offline). */
  artifactSource: ArtifactSourceKind;
  artifactMirror: string | null;
  /** LOG_LEVEL: pino level. Default info. */
  logLevel: string;
  /** LOG_FORMAT: `json` (default) or `pretty` (readable, for a terminal). */
  logFormat: "json" | "pretty";
  /** ZLH_LOG_NAME: the logger's name, shown as the prefix of pretty logs. Default `agent`. */
  logName: string;
}

export function loadAgentConfig(env: Env): AgentConfig {
  const controlUrl = need(env, "ZLH_CONTROL_URL");
  if (!/^(https?|wss?):\/\/[^/]+/.test(controlUrl)) {
    throw new ConfigError("ZLH_CONTROL_URL", "must be an http(s):// or ws(s):// URL.");
  }
  if (!isEncryptedOrLoopback(controlUrl) && env.ZLH_ALLOW_INSECURE_CONTROL_URL?.trim() !== "true") {
    throw new ConfigError(
      "ZLH_CONTROL_URL",
      "must be https:// or wss:// outside loopback: RCON passwords travel over it (set ZLH_ALLOW_INSECURE_CONTROL_URL=true on a trusted network).",
    );
  }
  const runtime = (env.ZLH_RUNTIME?.trim() || "pct") as AgentConfig["runtime"];
  if (runtime !== "pct" && runtime !== "sim" && runtime !== "lxc") throw new ConfigError("ZLH_RUNTIME", "must be pct, lxc or sim.");
  const stateDir = env.ZLH_STATE_DIR?.trim() || "/var/lib/zlh-agent";
  return {
    controlUrl,
    agentToken: need(env, "ZLH_AGENT_TOKEN"),
    runtime,
    simRoot: env.ZLH_SIM_ROOT?.trim() || `${stateDir}/sim`,
    simOpDelayMs: int(env, "ZLH_SIM_OP_DELAY_MS", 0, 0, 600_000),
    simFaults: simFaults(env),
    stateDir,
    concurrency: int(env, "ZLH_AGENT_CONCURRENCY", 4, 1, 64),
    backupDir: env.ZLH_BACKUP_DIR?.trim() || `${stateDir}/backups`,
    readyTimeoutMs: int(env, "ZLH_READY_TIMEOUT_MS", 120_000, 100, 3_600_000),
    stopTimeoutMs: int(env, "ZLH_STOP_TIMEOUT_MS", 30_000, 0, 3_600_000),
    shutdownGraceMs: int(env, "ZLH_SHUTDOWN_GRACE_MS", 20_000, 0, 3_600_000),
    pct: {
      bin: env.ZLH_PCT_BIN?.trim() || "pct",
      storage: env.ZLH_PCT_STORAGE?.trim() || "local-lvm",
      template: env.ZLH_PCT_TEMPLATE?.trim() || "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
      bridge: env.ZLH_PCT_BRIDGE?.trim() || "vmbr0",
    },
    lxcTemplate: env.ZLH_LXC_TEMPLATE?.trim() || null,
    artifactSource: artifactSource(env),
    artifactMirror: env.ZLH_ARTIFACT_MIRROR?.trim() || null,
    logLevel: oneOfVar(env, "LOG_LEVEL", "info", LOG_LEVELS),
    logFormat: oneOfVar(env, "LOG_FORMAT", "json", ["json", "pretty"] as const),
    logName: env.ZLH_LOG_NAME?.trim() || "agent",
  };
}


/** Whether the URL is TLS, or plaintext that never leaves the host. */
export function isEncryptedOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol === "https:" || parsed.protocol === "wss:") return true;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function artifactSource(env: Env): ArtifactSourceKind {
  const kind = oneOfVar<ArtifactSourceKind>(env, "ZLH_ARTIFACT_SOURCE", "upstream", ["upstream", "mirror", "offline"]);
  if (kind === "mirror" && !env.ZLH_ARTIFACT_MIRROR?.trim()) throw new ConfigError("ZLH_ARTIFACT_MIRROR", "is required with ZLH_ARTIFACT_SOURCE=mirror.");
  return kind;
}

function simFaults(env: Env): AgentConfig["simFaults"] {
  const raw = env.ZLH_SIM_FAULTS?.trim();
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
