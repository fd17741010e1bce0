/**
 * Every environment variable the control plane reads, each explained once: `loadConfig` reads them through this
 * table (defaults and bounds included) and docs/configuration.md is generated from it (`pnpm docs:config`).
 * Descriptions are Markdown; their links are relative to docs/.
 */
import { LOG_LEVELS, type EnvTable } from "@zlh/domain";

export const CONTROL_PLANE_ENV = {
  DATABASE_URL: {
    type: "text",
    required: true,
    format: "`postgres://` or `postgresql://` URL",
    description: "The Postgres database that is the source of truth.",
  },
  PORT: { type: "integer", default: 3000, min: 0, max: 65535, description: "TCP port of the HTTP API and the agent websocket gateway." },
  HOST: {
    type: "text",
    default: "0.0.0.0",
    format: "address",
    description: "Address to listen on; the default lets agents on other hosts dial in (`pnpm dev` uses 127.0.0.1).",
  },
  ZLH_API_TOKENS: {
    type: "text",
    required: true,
    format: "comma-separated `name=token` or `name:scope=token`",
    description:
      "The API's clients: each entry is split at its first `=`; scope `read`, `panel`, `admin` (default) or `metrics` (reads `/metrics` only); tokens 16+ characters without spaces, compared in constant time. " +
      "Entries with the same name are one client (rotate a token without downtime by adding the new one, moving the panel over, removing the old); one name given two scopes is refused. " +
      "A bare `token` still works: an admin client named by the token's sha256, which keeps the idempotency keys it used before names existed. " +
      "More tokens can be kept in the database (`POST /v1/api-tokens`). See [Clients, scopes and limits](api.md#clients-scopes-and-limits).",
  },
  ZLH_SECRETS_KEY: {
    type: "text",
    required: true,
    format: "32 bytes, base64",
    description:
      "Seals per-server secrets (RCON passwords) at rest with AES-256-GCM; make one with `openssl rand -base64 32`. `pnpm dev` generates one in `.data/secrets.key`. Keep it across upgrades: it unseals the stored RCON passwords. To change it, see [Rotating ZLH_SECRETS_KEY](operations.md#rotating-zlh_secrets_key).",
  },
  ZLH_SECRETS_KEY_PREVIOUS: {
    type: "text",
    format: "comma-separated keys, 32 bytes base64 each",
    shownDefault: "unset",
    description:
      "During a rotation of ZLH_SECRETS_KEY: the keys being rotated away from. They only unseal (ZLH_SECRETS_KEY alone seals); `zlh-control-plane.mjs reseal-secrets` (`pnpm secrets:reseal`) rewrites every value under ZLH_SECRETS_KEY, after which they can be removed. See [Rotating ZLH_SECRETS_KEY](operations.md#rotating-zlh_secrets_key).",
  },
  ZLH_ARTIFACT_SOURCE: {
    type: "choice",
    default: "upstream",
    values: ["upstream", "mirror", "offline"],
    description:
      "Where the upstreams' metadata and files (Fabric, Quilt, NeoForge, Paper, Purpur, Mojang, Modrinth, Adoptium) come from when resolving manifests: `upstream` (the real services), `mirror` (`ZLH_ARTIFACT_MIRROR`), `offline` (the small fixture mirror bundled in `fixtures/offline-mirror`; `pnpm dev` uses it). See [Artifact sources](design/manifests.md#artifact-sources).",
  },
  ZLH_ARTIFACT_MIRROR: {
    type: "text",
    format: "directory or http(s) base URL",
    description: "For `ZLH_ARTIFACT_SOURCE=mirror` (required then): where the upstream files are kept by path.",
  },
  ZLH_VMID_RANGE: { type: "range", default: "5000-5999", min: 100, max: 999_999_999, description: "VMIDs this control plane may hand out." },
  ZLH_PORT_RANGE: {
    type: "range",
    default: "40000-44999",
    min: 1024,
    max: 65535,
    description:
      "Ports for servers on each host; each server takes two (game, RCON), the lowest free on its host. Unique per host, reused across hosts, so the range bounds servers per host (2,500 by default), not the fleet.",
  },
  ZLH_LEASE_TTL_MS: {
    type: "integer",
    default: 15_000,
    min: 300,
    max: 3_600_000,
    description: "How long an agent holds an operation without renewing it. Agents heartbeat every TTL/3.",
  },
  ZLH_AGENT_TOKEN_GRACE_MS: {
    type: "integer",
    default: 3_600_000,
    min: 0,
    max: 604_800_000,
    description:
      "After `POST /v1/hosts/:id/rotate-token`, how long the host's previous agent token keeps working (new connections and the live session), so the new one can be put on the host without a cut; " +
      "when it ends, the previous token is refused and a session still using it is closed (code 4003). 0: the previous token stops at once.",
  },
  ZLH_RECONCILE_INTERVAL_MS: {
    type: "integer",
    default: 30_000,
    min: 200,
    max: 86_400_000,
    description:
      "Period of the reconciliation job; each pass judges only the hosts whose evidence or servers changed, or whose recheck is due (see [Reconciliation](design/reconciliation.md#a-pass-judges-only-what-may-have-changed)).",
  },
  ZLH_RECONCILE_RECHECK_MS: {
    type: "integer",
    default: 300_000,
    min: 1_000,
    max: 86_400_000,
    description:
      "Every host is judged again at least this often, even when nothing it reports changed: the safety net for changes reconciliation cannot see, such as a server elsewhere that a container's marker names.",
  },
  ZLH_WORKER_CONCURRENCY: { type: "integer", default: 4, min: 1, max: 64, description: "graphile-worker jobs run at once by this process." },
  ZLH_PLACEMENT_POLICY: {
    type: "choice",
    default: "spread",
    values: ["spread", "pack"],
    description:
      "Which host a new server goes to, among those not cordoned, not known down, with room: `spread` (the most free memory) or `pack` (the least free memory that fits: fills hosts one by one). See [Placement and host maintenance](hosts.md#placement-and-host-maintenance).",
  },
  ZLH_PROXMOX_URL: {
    type: "text",
    format: "`https://host:8006`",
    description:
      "The Proxmox API, read by reconciliation to see every guest, also on hosts whose agent is down. `ZLH_PROXMOX_URL`, `ZLH_PROXMOX_TOKEN_ID` and `ZLH_PROXMOX_TOKEN_SECRET`: all three or none; none means reconciliation uses agent inventories only. Give Node your CA with `NODE_EXTRA_CA_CERTS` if Proxmox uses its self-signed certificate.",
  },
  ZLH_PROXMOX_TOKEN_ID: { type: "text", format: "`user@realm!name`", description: "The Proxmox API token's id (with `ZLH_PROXMOX_URL`)." },
  ZLH_PROXMOX_TOKEN_SECRET: { type: "text", format: "lowercase UUID", description: "The Proxmox API token's secret (with `ZLH_PROXMOX_URL`)." },
  ZLH_EDGE_WEBHOOK_URL: {
    type: "text",
    format: "http(s) URL",
    description:
      'A shorthand for one `webhook` entry of ZLH_EDGE_PROVIDERS named `webhook` (needs ZLH_EDGE_ZONE): POSTs `{action:"publish",server:{serverId,name,hostNode,vmid,gamePort,fqdn,address,port,records,route}}` (`address`/`port`: where the name routes a player) / `{action:"unpublish",serverId,fqdn}` as JSON. A URL that is not https:// (http:// only to a loopback address) stops the control plane at start.',
  },
  ZLH_EDGE_WEBHOOK_SECRET: {
    type: "text",
    format: "text",
    description:
      "If set (at least 32 characters), each edge call carries `X-ZLH-Timestamp: <Unix seconds>` and `X-ZLH-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\">`; a receiver refuses a bad signature or a timestamp more than 5 minutes off.",
  },
  ZLH_EDGE_ZONE: {
    type: "text",
    format: "DNS zone",
    shownDefault: "unset",
    description:
      "The zone servers are named under (`play.example.com`): a server is `<ZLH_EDGE_NAME_TEMPLATE>.<zone>`, shown as `connect` in the API; the default of each provider's own `zone`. Unset: servers have no name, and `connect` is null.",
  },
  ZLH_EDGE_NAME_TEMPLATE: {
    type: "text",
    format: "DNS label template",
    default: "mc-{type}-{vmid}",
    description:
      "A server's label in the zone: lowercase letters, digits, `-` and the placeholders `{vmid}`, `{type}` (the server type, `fabric`) and `{id8}` (the first 8 hex digits of its id); it must contain `{vmid}` or `{id8}`. Checked at start.",
  },
  ZLH_EDGE_ADDRESS: {
    type: "text",
    format: "IPv4 address",
    shownDefault: "unset",
    description:
      "Where the records point when players reach servers through a proxy that routes by name (Velocity, mc-router), with ZLH_EDGE_PORT: the default of each provider's `target` (`edge`) and `edgeAddress`. Unset: a provider's records point at each server's own address and game port unless it says `target: \"edge\"` with an `edgeAddress`.",
  },
  ZLH_EDGE_PORT: { type: "integer", default: 25565, min: 1, max: 65535, description: "The edge proxy's port (the port in each server's SRV record under `target: \"edge\"`), the default of a provider's `edgePort`." },
  ZLH_EDGE_TTL: { type: "integer", default: 60, min: 5, max: 86400, description: "Seconds the edge's DNS records may be cached: short, so a moved server is found again quickly." },
  ZLH_EDGE_PROVIDERS: {
    type: "text",
    format: "JSON array",
    shownDefault: "unset",
    description:
      'Where the edge is published, side by side: `[{"name":"internal-dns","kind":"rfc2136","zone":"mc.internal.lan","target":"server","server":"10.0.0.53:53","keyName":"zlh-edge","keySecretFile":"/etc/zlh/tsig.key"}, {"name":"hook","kind":"webhook","url":"https://...","secretFile":"..."}]`; each entry may give its own `zone` (default ZLH_EDGE_ZONE) and `target` (`server` or `edge`, default `edge` when ZLH_EDGE_ADDRESS is set); any setting `<x>File` is read from that file. Needs ZLH_EDGE_ZONE; checked at start (see [The edge](design/edge.md#configuration)). Unset (and no ZLH_EDGE_WEBHOOK_URL): nothing is published and no server waits on the edge.',
  },
  ZLH_EDGE_PASS_INTERVAL_MS: { type: "integer", default: 2000, min: 100, max: 3_600_000, description: "Period of the incremental edge pass: it applies only the servers whose desired edge changed and the retries that are due." },
  ZLH_EDGE_AUDIT_INTERVAL_MS: {
    type: "integer",
    default: 60_000,
    min: 200,
    max: 86_400_000,
    description: "Period of the edge audit: each readable provider's whole zone or route list is compared with the database and repaired in the same run (a record deleted by hand is back when the next audit ends); names in the naming scheme the platform does not own are reported as edge drift, never touched.",
  },
  ZLH_EDGE_DELETE_GRACE_SECONDS: {
    type: "integer",
    default: 60,
    min: 0,
    max: 86400,
    description: "How long a delete waits for its edge records to be removed and verified before the container is destroyed anyway (the removal keeps being retried and reported): a DNS outage never blocks a delete.",
  },
  ZLH_RATE_LIMIT_PER_CLIENT: {
    type: "integer",
    default: 1200,
    min: 1,
    max: 10_000_000,
    description: "Requests a minute one API client (by name, all its tokens together) may make, per process; over it: 429 `rate_limited` with `Retry-After`.",
  },
  ZLH_RATE_LIMIT_PER_ADDRESS: {
    type: "integer",
    default: 6000,
    min: 1,
    max: 10_000_000,
    description: "Requests a minute from one source address on every route, before authentication (unauthenticated floods, agent upgrades included), per process.",
  },
  ZLH_HTTP_REQUEST_TIMEOUT_MS: {
    type: "integer",
    default: 30_000,
    min: 100,
    max: 600_000,
    description: "The longest a client may take to send a whole request (headers and body); a slower one gets 408 and is disconnected (a trickled body cannot hold a socket).",
  },
  ZLH_HTTP_IDLE_TIMEOUT_MS: { type: "integer", default: 65_000, min: 1000, max: 3_600_000, description: "An idle connection is closed after this long." },
  ZLH_TLS_CERT_FILE: {
    type: "text",
    format: "PEM file",
    description:
      "With `ZLH_TLS_KEY_FILE` (both or neither): the API and the agent gateway are served over HTTPS/WSS. Unset: plain HTTP; put a TLS proxy in front outside a trusted network (agents refuse plaintext outside loopback).",
  },
  ZLH_TLS_KEY_FILE: { type: "text", format: "PEM file", description: "The private key of `ZLH_TLS_CERT_FILE`." },
  ZLH_BACKUP_KEEP: { type: "integer", default: 7, min: 1, max: 10_000, description: "Backup retention: completed backups kept per server." },
  ZLH_BACKUP_MAX_AGE_DAYS: { type: "integer", default: 30, min: 1, max: 36_500, description: "Backup retention: a backup's longest life, in days." },
  ZLH_SCHEDULE_TICK_MS: {
    type: "integer",
    default: 5_000,
    min: 100,
    max: 600_000,
    description:
      "How often each control plane looks for due schedule slots (jittered by a quarter either way, by the database's clock). Any number of control planes tick; each slot runs once. See [Schedules](design/schedules.md).",
  },
  ZLH_SCHEDULE_TOLERANCE_MS: {
    type: "integer",
    default: 60_000,
    min: 100,
    max: 86_400_000,
    description:
      "How late a slot may still run as on time (a busy server's slot is tried again each tick until then); past it the slot was missed and its schedule's `missedPolicy` decides: `skip` or `run_late`.",
  },
  ZLH_SCHEDULE_MIN_INTERVAL_MS: {
    type: "integer",
    default: 60_000,
    min: 1_000,
    max: 86_400_000,
    description: "The shortest time between two slots of a schedule; a cron expression firing more often is refused (422).",
  },
  ZLH_SCHEDULES_PER_SERVER: { type: "integer", default: 20, min: 1, max: 1_000, description: "Live schedules one server may have; one more is 409 `schedule_limit`." },
  ZLH_COMMAND_TIMEOUT_MS: {
    type: "integer",
    default: 15_000,
    min: 500,
    max: 600_000,
    description: "How long `POST /v1/servers/:id/commands` waits for the server's reply (then 504 `command_timeout`).",
  },
  ZLH_METRICS_PUBLIC: {
    type: "choice",
    default: "false",
    values: ["true", "false"],
    description: "`true` serves `GET /metrics` without a token (for a scraper on a private network); otherwise it needs an admin token.",
  },
  ZLH_EVENT_STREAM_POLL_MS: {
    type: "integer",
    default: 1000,
    min: 50,
    max: 60_000,
    description: "How often an open `/v1/events/stream` looks for new events, and an open `/logs/stream` reads the log again. A comment line goes out every 15 s on a quiet stream.",
  },
  ZLH_CONSOLE_TOKEN_TTL_MS: {
    type: "integer",
    default: 600_000,
    min: 10_000,
    max: 3_600_000,
    description:
      "How long a console token (`POST /v1/servers/{id}/console-tokens`) lives; a stream opened with it ends when it expires. See [Console access for a browser](api.md#console-access-for-a-browser).",
  },
  ZLH_CONSOLE_ORIGINS: {
    type: "text",
    format: "comma-separated origins (`https://panel.example.com`)",
    description:
      "Browser origins (the panel's) allowed to call the console routes (log, log stream, commands, `POST /v1/console/session`) across origins, with credentials. Unset: none (same-origin only). Other routes never answer CORS.",
  },
  ZLH_STREAM_TOKEN_RECHECK_MS: {
    type: "integer",
    default: 5000,
    min: 100,
    max: 300_000,
    description: "How often an open stream (events, console log) checks its token again; a revoked or removed one ends it.",
  },
  ZLH_STREAM_MAX_DURATION_MS: {
    type: "integer",
    default: 3_600_000,
    min: 1000,
    max: 86_400_000,
    description: "A stream's longest life; then it ends (`event: end`, `max_duration`) and an EventSource reconnects and resumes.",
  },
  ZLH_LOG_STREAMS_PER_CLIENT: {
    type: "integer",
    default: 100,
    min: 1,
    max: 100_000,
    description: "Open console-log streams per API client, counted in the database (so across every control-plane process); over it: 429 `too_many_streams`.",
  },
  ZLH_LOG_STREAMS_PER_SERVER: {
    type: "integer",
    default: 5,
    min: 1,
    max: 1000,
    description: "Open console-log streams per server, counted in the database; over it: 429 `too_many_streams`.",
  },
  ZLH_BACKUP_DOWNLOADS_PER_SERVER: {
    type: "integer",
    default: 2,
    min: 1,
    max: 100,
    description:
      "Backup downloads open at once per server, counted in the database; over it: 429 `too_many_streams`. A download lasts at most `ZLH_STREAM_MAX_DURATION_MS` and ends when its token is revoked.",
  },
  ZLH_MODPACK_MAX_BYTES: {
    type: "integer",
    default: 64 * 1024 * 1024,
    min: 1024 * 1024,
    // Uploads are bytea, sent to Postgres as hex (twice the size) in one message: past ~256 MiB that fails with a 500.
    max: 200 * 1024 * 1024,
    description:
      "The largest `.mrpack` accepted, uploaded (`POST /v1/modpacks`: 413 `payload_too_large` over it) or from Modrinth (422 `modpack_invalid`). Uploads are stored in the database, so at most 200 MiB. See [Modpacks](modpacks.md#limits).",
  },
  ZLH_MODPACK_RETENTION_DAYS: {
    type: "integer",
    default: 7,
    min: 1,
    max: 3650,
    description:
      "An uploaded pack no live server of its customer uses is removed this many days after that customer's upload (checked hourly); a server keeps the pack it runs, asks for or could roll back to. See [Modpacks](modpacks.md#limits).",
  },
  ZLH_MODPACK_CUSTOMER_QUOTA_BYTES: {
    type: "integer",
    default: 1024 * 1024 * 1024,
    min: 1024 * 1024,
    max: 2 ** 40,
    description:
      "Bytes of uploaded packs one customer may hold at once (each pack counted once, by its size; a pack uploaded again is not counted twice): an upload past it is 409 `modpack_quota_exceeded` and nothing is stored. Deleting an upload (`DELETE /v1/modpacks/:id`) or its retention running out frees its bytes. Set below `ZLH_MODPACK_MAX_BYTES`, it is the largest pack a customer can upload (409, not 413, past it). See [Modpacks](modpacks.md#limits).",
  },
  ZLH_MODPACK_UPLOAD_CONCURRENCY: {
    type: "integer",
    default: 4,
    min: 1,
    max: 64,
    description:
      "Uploads (`POST /v1/modpacks`) received at once per control plane process (each is held in memory while it is read, up to `ZLH_MODPACK_MAX_BYTES`: at most this times that, 256 MiB at the defaults, on top of the process's own): one more is 503 `too_many_uploads` with `Retry-After`, before its body is read. See [Modpacks](modpacks.md#limits).",
  },
  ZLH_NEOFORGE_RETENTION_DAYS: {
    type: "integer",
    default: 30,
    min: 1,
    max: 3650,
    description:
      "A NeoForge install (the installer's run for one game and build, its made files stored in the database) no live server uses is removed once no resolution has used it for this many days (checked hourly); a server keeps the build it runs, asks for or could roll back to. See [Operations](operations.md#neoforge-installs).",
  },
  ZLH_EVENT_RETENTION_DAYS: {
    type: "integer",
    default: 90,
    min: 1,
    max: 36500,
    description:
      "Events (the feed, `GET /v1/events`) older than this many days are deleted, oldest first (checked hourly); the newest event always stays. A feed cursor whose next events were deleted is 410 `cursor_expired`. Drift items resolved this many days ago go too (an open one always stays). See [Operations](operations.md#what-grows-in-the-database).",
  },
  ZLH_OPERATION_RETENTION_DAYS: {
    type: "integer",
    default: 90,
    min: 1,
    max: 36500,
    description:
      "Finished operations (succeeded, failed, cancelled) last changed more than this many days ago are deleted (checked hourly), except those the control plane still reads (a live server's current generation's, its newest of each kind and newest succeeded provision; a deleted server's newest destroy). A backup, restore or console command's Idempotency-Key is remembered as long as its operation, a keyed start/stop/restart or schedule create's answer this many days. See [Operations](operations.md#what-grows-in-the-database).",
  },
  ZLH_SCHEDULE_RUN_RETENTION_DAYS: {
    type: "integer",
    default: 90,
    min: 1,
    max: 36500,
    description:
      "Schedule runs (`GET .../schedules/:id/runs`) that ended more than this many days ago are deleted (checked hourly); a run under way stays. See [Operations](operations.md#what-grows-in-the-database).",
  },
  ZLH_NEOFORGE_NEW_BUILDS_PER_DAY: {
    type: "integer",
    default: 5,
    min: 0,
    max: 1000,
    description:
      "NeoForge builds not installed yet one customer may pin (create, change) in any 24 hours: each costs an installer run of minutes on the control plane. Over it: 429 `rate_limited` with `Retry-After`, nothing written; 0 lets customers pin only builds already installed (that 429 has no `Retry-After`: waiting does not help). See [Server types](server-types.md#neoforge).",
  },
  ZLH_NEOFORGE_JAVA: {
    type: "text",
    format: "absolute path or a name on PATH",
    default: "java",
    description:
      "The java that runs NeoForge's installer on the control plane, used by its real path (past Debian's `/etc/alternatives` links). It must be at least the Java the game needs (Mojang's `javaVersion`: 21 for Minecraft 1.20.5 and later, 17 before), read from its home's `release` file; an older one, or none there, is not run and the server stays pending with the reason, retried. A newer Java installs older builds too, so one setting to the newest covers all. Debian 12's `java` is 17: see [Server types](server-types.md#the-java-that-runs-the-installer).",
  },
  ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES: {
    type: "integer",
    default: 3 * 1024 * 1024 * 1024,
    min: 0,
    max: 2 ** 40,
    description:
      "The bound on all the memory one NeoForge installer run takes (its 1 GiB heap, the JVM's native memory, any process it starts, the files it writes to its in-memory work space), in a memory cgroup of its own: past it the kernel kills the run and the build fails, saying so. Where no memory cgroup can be made (cgroup v2 not delegated to the service: the shipped unit's `Delegate=`), new builds stay `pending`, retried, until it can; 0 runs the installer with its heap as its only memory bound. Below 2 GiB the heap is half of it. Otherwise at least 256 MiB. See [Operations](operations.md#neoforges-installer-sandbox).",
  },
  ZLH_EVENT_STREAMS_PER_CLIENT: {
    type: "integer",
    default: 50,
    min: 1,
    max: 100_000,
    description: "Open event streams per API client, per process; over it: 429 `too_many_streams`.",
  },
  LOG_LEVEL: { type: "choice", default: "info", values: LOG_LEVELS, description: "pino level." },
  LOG_FORMAT: {
    type: "choice",
    default: "json",
    values: ["json", "pretty"],
    description: "`json` (one object a line, for journald and a log shipper) or `pretty` (readable, for a terminal; `pnpm dev`'s default).",
  },
} as const satisfies EnvTable;
