/**
 * Every environment variable the agent reads, each explained once: `loadAgentConfig` reads them through this table
 * (defaults and bounds included) and docs/configuration.md is generated from it (`pnpm docs:config`).
 * Descriptions are Markdown; their links are relative to docs/.
 */
import { LOG_LEVELS, type EnvTable } from "@zlh/domain";

export const AGENT_ENV = {
  ZLH_CONTROL_URL: {
    type: "text",
    required: true,
    format: "http(s):// or ws(s):// URL",
    description:
      "Base URL of the control plane. RCON passwords travel over it, so plaintext (`http`, `ws`) is refused unless the host is a loopback address (localhost, 127.0.0.0/8, ::1) or `ZLH_ALLOW_INSECURE_CONTROL_URL=true` says the network is trusted. For a self-signed certificate, give Node the CA with `NODE_EXTRA_CA_CERTS`.",
  },
  ZLH_ALLOW_INSECURE_CONTROL_URL: {
    type: "text",
    format: "`true` or unset",
    description: "`true` accepts a plaintext `ZLH_CONTROL_URL` outside loopback, on a network the operator trusts (a private link, a VPN).",
  },
  ZLH_AGENT_TOKEN: { type: "text", required: true, format: "token", description: "This host's agent token, shown once by `POST /v1/hosts` (or its rotation)." },
  ZLH_RUNTIME: {
    type: "choice",
    default: "pct",
    values: ["pct", "lxc", "sim"],
    description:
      "`pct` on a Proxmox host, `lxc` on a plain-LXC host prepared by `pnpm host:prepare` (see [Real containers](real-containers.md)), `sim` anywhere else (simulated containers and servers).",
  },
  ZLH_STATE_DIR: {
    type: "text",
    default: "/var/lib/zlh-agent",
    format: "directory",
    description: "Unacknowledged results (`results/`), the content-addressed artifact cache (`cache/sha512/`) and the servers' game ports (`game-ports.json`, so players are known after a restart).",
  },
  ZLH_SIM_ROOT: {
    type: "text",
    shownDefault: "`<ZLH_STATE_DIR>/sim`",
    format: "directory",
    description: "sim only: where simulated containers live; container `<vmid>` is the folder `<root>/<vmid>/`, its filesystem under `rootfs/`.",
  },
  ZLH_SIM_OP_DELAY_MS: { type: "integer", default: 0, min: 0, max: 600_000, description: "sim only: latency added to every container operation." },
  ZLH_SIM_FAULTS: {
    type: "text",
    format: "`lock=0.05,startFail=0.05,createErrorAfterSuccess=0.05,seed=42`",
    description:
      "sim only, for the chaos harness: rates (0 to 1) of injected refusals and the seed of their generator. Unset: no faults. (Any agent also drops its connection on SIGUSR2, for fault injection.)",
  },
  ZLH_AGENT_METRICS_LISTEN: {
    type: "text",
    shownDefault: "unset (off)",
    format: "`host:port` (`[::1]:9464` for IPv6)",
    description:
      "Serves the agent's own Prometheus metrics on `http://<host:port>/metrics` (see [Agent metrics](operations.md#agent-metrics)). Plain HTTP without a token: an address outside loopback is refused unless ZLH_AGENT_METRICS_ALLOW_REMOTE=true.",
  },
  ZLH_AGENT_METRICS_ALLOW_REMOTE: {
    type: "text",
    format: "`true` or unset",
    description: "`true` lets ZLH_AGENT_METRICS_LISTEN bind outside loopback (a private interface Prometheus reaches, firewalled from customers' containers).",
  },
  ZLH_AGENT_CONCURRENCY: { type: "integer", default: 4, min: 1, max: 64, description: "Operations executed at once." },
  ZLH_BACKUP_DIR: {
    type: "text",
    shownDefault: "`<ZLH_STATE_DIR>/backups`",
    format: "directory",
    description:
      "Where backups are written, `<dir>/<serverId>/<backupId>.tar.gz`: a local disk, or a mounted NFS/CIFS share or Proxmox Backup Server datastore path for copies off the host.",
  },
  ZLH_READY_TIMEOUT_MS: {
    type: "integer",
    default: 120_000,
    min: 100,
    max: 3_600_000,
    description: "How long a started server may take to answer a status ping and an RCON login (its readiness).",
  },
  ZLH_STOP_TIMEOUT_MS: { type: "integer", default: 30_000, min: 0, max: 3_600_000, description: "Graceful stop window before a forced stop." },
  ZLH_SHUTDOWN_GRACE_MS: {
    type: "integer",
    default: 20_000,
    min: 0,
    max: 3_600_000,
    description: "On SIGTERM, how long running operations may take to finish before they are handed back.",
  },
  ZLH_PCT_BIN: { type: "text", default: "pct", format: "executable", description: "pct only: the pct executable." },
  ZLH_PCT_STORAGE: { type: "text", default: "local-lvm", format: "Proxmox storage", description: "pct only: the storage containers' root filesystems are made on." },
  ZLH_PCT_TEMPLATE: {
    type: "text",
    default: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
    format: "Proxmox volume",
    description: "pct only: the OS template containers are made from.",
  },
  ZLH_PCT_BRIDGE: { type: "text", default: "vmbr0", format: "bridge", description: "pct only: the network bridge of containers on hosts without network settings." },
  ZLH_LXC_TEMPLATE: {
    type: "text",
    shownDefault: "the one `pnpm host:prepare` builds",
    format: "tarball",
    description: "lxc only: the template tarball containers are made from (one holding `/opt/zlh/java/<major>`, as an image with Java would).",
  },
  ZLH_ARTIFACT_SOURCE: {
    type: "choice",
    default: "upstream",
    values: ["upstream", "mirror", "offline"],
    description: "Where the agent fetches artifacts into its cache: the same meaning as for the control plane.",
  },
  ZLH_AGENT_CACHE_MAX_BYTES: {
    type: "integer",
    default: 20 * 1024 ** 3,
    min: 64 * 1024 * 1024,
    max: 2 ** 50,
    description:
      "Bytes the artifact cache (`<ZLH_STATE_DIR>/cache/sha512/`) may hold: past it, the least recently used files are removed, except files a running operation uses (held until it ends, so the cache can exceed it while placements read). See [Modpacks](modpacks.md#limits).",
  },
  ZLH_AGENT_CACHE_MIN_FREE_BYTES: {
    type: "integer",
    default: 2 * 1024 ** 3,
    min: 0,
    max: 2 ** 50,
    description:
      "Free bytes the artifact cache's filesystem must keep after a download (checked with statfs before each one): a download that would go below removes least recently used files no running operation uses, and is refused with a retryable `cache_disk_full` when that is not enough. It is kept on the filesystem of `ZLH_STATE_DIR` (often the host's root, which Proxmox's own updates and logs need too): on a small root lower it rather than have every download refused. See [Modpacks](modpacks.md#limits).",
  },
  ZLH_ARTIFACT_MIRROR: { type: "text", format: "directory or http(s) base URL", description: "For `ZLH_ARTIFACT_SOURCE=mirror` (required then), as for the control plane." },
  LOG_LEVEL: { type: "choice", default: "info", values: LOG_LEVELS, description: "pino level." },
  LOG_FORMAT: { type: "choice", default: "json", values: ["json", "pretty"], description: "`json` or `pretty` (readable, for a terminal)." },
  ZLH_LOG_NAME: {
    type: "text",
    default: "agent",
    format: "name",
    description: "The logger's name, the prefix of pretty lines (`pnpm dev` names each agent after its host).",
  },
} as const satisfies EnvTable;
