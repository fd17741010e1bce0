/**
 * The agent <-> control plane wire protocol, version 1. Every message is one
 * JSON text frame with `v` (protocol version) and `type`; both ends validate
 * every frame against these schemas and answer a bad one with `error`.
 *
 * Semantics (see docs/design/agent-protocol.md):
 *  - An agent session starts with `hello`; the control plane answers `welcome`
 *    with the lease TTL and which of the agent's held leases are still its own.
 *  - `lease.request` asks for up to `max` queued operations; `lease.grant`
 *    carries them, each with a fencing token. `work.available` is a nudge to ask.
 *  - `heartbeat` (every TTL/3) renews the listed leases and reports inventory;
 *    `heartbeat.ack` says which leases were renewed and which are lost.
 *  - `result` reports an operation's outcome under its token; `result.ack`
 *    comes after commit, whether applied, a duplicate, or rejected as stale.
 */
import Type, { type Static } from "typebox";
import { Manifest } from "@zlh/artifacts";
import { COMMAND_PATTERN, EVIDENCE_BOUNDS, EVIDENCE_EXIT_CHARS, EVIDENCE_NAME_CHARS, MAX_COMMAND_BYTES, type EvidenceBound } from "@zlh/domain";

export const PROTOCOL_VERSION = 1;

const V = Type.Literal(PROTOCOL_VERSION);
const Id = Type.String({ minLength: 1, maxLength: 64 });
const Uuid = Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" });
/** Fencing tokens are int8 in Postgres; carried as decimal strings so no precision is lost. */
const Token = Type.String({ pattern: "^[0-9]{1,19}$" });

export const HeldLease = Type.Object({ opId: Uuid, token: Token });
export type HeldLease = Static<typeof HeldLease>;

const B = EVIDENCE_BOUNDS;
const evidenceLines = (b: EvidenceBound) => Type.Array(Type.String({ maxLength: b.maxLineChars }), { maxItems: b.maxLines });
/**
 * Why a game died, read by the agent from the container (docs/crash-reports.md): bounded and made safe there,
 * and bounded again here, since the agent's host may be the customer's to subvert. Lines and characters per
 * field are EVIDENCE_BOUNDS' (40 lines of the log, 20 of stderr, the first 60 of the newest crash report). Their
 * budgets in bytes (16, 8 and 16 KiB of JSON) are not a schema's to count: the agent sends within them, and the
 * control plane fits the evidence to them again before storing it (fitCrashEvidence), rather than refusing a
 * whole heartbeat from an older agent. `truncated`: something was cut to fit.
 */
export const CrashEvidence = Type.Object({
  log: Type.Optional(evidenceLines(B.log)),
  stderr: Type.Optional(evidenceLines(B.stderr)),
  crashReport: Type.Optional(Type.Object({ name: Type.String({ maxLength: EVIDENCE_NAME_CHARS }), lines: evidenceLines(B.crashReport) })),
  exit: Type.Optional(
    Type.Object({
      result: Type.String({ maxLength: EVIDENCE_EXIT_CHARS.result }),
      code: Type.String({ maxLength: EVIDENCE_EXIT_CHARS.code }),
      status: Type.String({ maxLength: EVIDENCE_EXIT_CHARS.status }),
    }),
  ),
  refused: Type.Optional(evidenceLines(B.refused)),
  truncated: Type.Optional(Type.Boolean()),
});
export type CrashEvidence = Static<typeof CrashEvidence>;

/**
 * Every figure an agent sends has a maximum: JSON's integers are doubles (1e300 and 2^63 are "integers"), and one
 * the database cannot hold, or holds imprecisely, must be refused at the door rather than fail what stores it.
 * A VMID is Proxmox's (at most 999999999, within Postgres' int); a count of bytes is exact in a double.
 */
const Vmid = Type.Integer({ minimum: 1, maximum: 999_999_999 });
const Bytes = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const InventoryItem = Type.Object({
  vmid: Vmid,
  state: Type.Union([Type.Literal("running"), Type.Literal("stopped")]),
  /** The server id in the container's marker, or null when the container has no marker of ours. */
  serverId: Type.Union([Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }), Type.Null()]),
  /**
   * The game in a running container of a runtime that boots an OS (lxc, pct), seen from the host through the
   * game unit's cgroup (docs/game-liveness.md): `alive` while the unit has a process, `dead` once it has none,
   * `oom_killed` when it died and the evidence says the OOM killer killed it. Absent for a stopped container, on
   * the sim (its container is its game), and from an agent older than this field.
   */
  game: Type.Optional(Type.Union([Type.Literal("alive"), Type.Literal("dead"), Type.Literal("oom_killed")])),
  /**
   * With a dead game (`dead`, `oom_killed`), or a sim container the agent saw stop: what it read about why.
   * Absent otherwise, and from agents older than this field.
   */
  crash: Type.Optional(CrashEvidence),
});
export type InventoryItem = Static<typeof InventoryItem>;
const Inventory = Type.Array(InventoryItem, { maxItems: 10_000 });

/** A Linux interface name; never a comma or '=', which would change the pct option it is put into. */
const Bridge = Type.String({ pattern: "^[A-Za-z][A-Za-z0-9_.-]{0,14}$" });
const Ipv4 = Type.String({ pattern: "^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$" });

/**
 * The container's network, from its host's settings: a static address the control plane allocated, or the
 * bridge only (dhcp; the agent reports the address it observes as `result.address`). Absent for a host with
 * no network settings (or from a control plane older than this field): the agent does as before.
 */
export const SpecNetwork = Type.Union([
  Type.Object({ bridge: Bridge, address: Ipv4, prefix: Type.Integer({ minimum: 1, maximum: 30 }), gateway: Ipv4 }),
  Type.Object({ bridge: Bridge, mode: Type.Literal("dhcp") }),
]);
export type SpecNetwork = Static<typeof SpecNetwork>;

export const OperationSpec = Type.Object({
  vmid: Type.Integer(),
  hostname: Type.String(),
  memoryMiB: Type.Integer(),
  cpuCores: Type.Integer(),
  diskGiB: Type.Integer(),
  gamePort: Type.Integer(),
  rconPort: Type.Integer(),
  minecraftVersion: Type.String(),
  loaderVersion: Type.Union([Type.String(), Type.Null()]),
  serverProperties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  network: Type.Optional(SpecNetwork),
  /** The pinned files to place (provision); null for operations that place nothing. */
  manifest: Type.Union([Manifest, Type.Null()]),
  /** The server's RCON password, for server.properties; sent only to the host's own agent. */
  rconPassword: Type.Union([Type.String(), Type.Null()]),
  /**
   * The Java major version the game runs on (its java is /opt/zlh/java/<major> in a container that boots
   * an OS). Absent: the agent picks it from the game version (17 up to 1.20.4, 21 after).
   */
  javaMajor: Type.Optional(Type.Integer({ minimum: 8, maximum: 99 })),
  /**
   * A reinstall (a provision over an existing container): stop it, remove the platform's files (and, with
   * `wipe`, the customer's: the world), then place and start as any provision. Absent otherwise.
   */
  reinstall: Type.Optional(Type.Object({ wipe: Type.Boolean() })),
  /**
   * A change (PATCH) being applied: the new settings are this spec's; `previous` is what the server ran
   * before, placed again (and started) if it does not come up with the change. `start`: whether to start
   * it afterwards (false for a server wanted stopped; then nothing can be verified, and nothing rolls back).
   */
  /** A `command` operation: the console command, sent over RCON. */
  command: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_COMMAND_BYTES, pattern: COMMAND_PATTERN })),
  /** A `backup` or `restore` operation: which backup (its archive is `<ZLH_BACKUP_DIR>/<serverId>/<backupId>.tar.gz`) and, for a restore, the sha256 it must have. */
  backup: Type.Optional(
    Type.Object({
      backupId: Type.String(),
      sha256: Type.Optional(Type.String()),
      start: Type.Boolean(),
      /** A restore of another server's backup: the server whose backup directory holds the archive. */
      sourceServerId: Type.Optional(Type.String()),
      /** That server is on another host: the archive (of this size) is fetched from the control plane's relay, GET /v1/agent/restores/<opId>/archive. */
      fetch: Type.Optional(Type.Object({ sizeBytes: Type.Integer({ minimum: 0 }) })),
    }),
  ),
  /** A `logs` operation: the last `tail` lines of logs/latest.log, or what it holds from byte `offset` on. */
  logs: Type.Optional(Type.Object({ tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })), offset: Type.Optional(Type.Integer({ minimum: 0 })) })),
  /** A `backup_read` operation (a download): `length` bytes (at most 1 MiB) of the backup's archive from byte `offset`. */
  read: Type.Optional(Type.Object({ backupId: Type.String(), offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1, maximum: 1048576 }) })),
  /** A `backup_delete` operation: the backups whose archives to remove (DELETE, or retention). */
  backupIds: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
  change: Type.Optional(
    Type.Object({
      start: Type.Boolean(),
      previous: Type.Object({
        manifest: Manifest,
        serverProperties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
        memoryMiB: Type.Integer(),
        cpuCores: Type.Integer(),
        diskGiB: Type.Integer(),
      }),
    }),
  ),
});
export type OperationSpec = Static<typeof OperationSpec>;

export const LeasedOperation = Type.Object({
  opId: Id,
  token: Token,
  kind: Type.Union([
    Type.Literal("provision"),
    Type.Literal("start"),
    Type.Literal("stop"),
    Type.Literal("restart"),
    Type.Literal("destroy"),
    Type.Literal("command"),
    Type.Literal("backup"),
    Type.Literal("restore"),
    Type.Literal("backup_delete"),
    Type.Literal("logs"),
    Type.Literal("backup_read"),
  ]),
  serverId: Id,
  generation: Type.Integer(),
  attempt: Type.Integer(),
  leaseExpiresAt: Type.String(),
  spec: OperationSpec,
});
export type LeasedOperation = Static<typeof LeasedOperation>;

// ---- agent -> control plane
export const Hello = Type.Object({
  v: V,
  type: Type.Literal("hello"),
  agentVersion: Type.String({ maxLength: 64 }),
  held: Type.Array(HeldLease, { maxItems: 1000 }),
  inventory: Inventory,
});
export const LeaseRequest = Type.Object({ v: V, type: Type.Literal("lease.request"), max: Type.Integer({ minimum: 1, maximum: 64 }) });
/**
 * One running container's live figures (docs/live-stats.md), read on the host at the stats cadence: CPU in
 * percent of one core since the previous sample (null on the first), memory charged to its cgroup.
 */
export const ServerStat = Type.Object({
  vmid: Vmid,
  serverId: Uuid,
  cpuPercent: Type.Union([Type.Number({ minimum: 0, maximum: 100_000 }), Type.Null()]),
  memoryBytes: Type.Union([Bytes, Type.Null()]),
  /** From the status ping on its game port (null: no answer, or the agent does not know the port yet). Absent from older agents. */
  playersOnline: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()])),
  playersMax: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()])),
  /** Bytes its server files allocate, from a bounded walk every few minutes (null: not measured, or the walk hit its bound). */
  diskBytes: Type.Optional(Type.Union([Bytes, Type.Null()])),
});
export type ServerStat = Static<typeof ServerStat>;

export const Heartbeat = Type.Object({
  v: V,
  type: Type.Literal("heartbeat"),
  held: Type.Array(HeldLease, { maxItems: 1000 }),
  /** The full inventory: when it changed, when asked for (inventoryWanted), and every few minutes regardless. */
  inventory: Type.Optional(Inventory),
  /** Otherwise its digest (inventoryDigest): "what I reported last still holds, observed now". */
  inventoryDigest: Type.Optional(Type.String({ pattern: "^[0-9a-f]{64}$" })),
  /** At the stats cadence (not every heartbeat), the running containers' live figures; never part of the digest. */
  stats: Type.Optional(Type.Array(ServerStat, { maxItems: 10_000 })),
});
export const Result = Type.Object({
  v: V,
  type: Type.Literal("result"),
  opId: Uuid,
  token: Token,
  outcome: Type.Union([Type.Literal("succeeded"), Type.Literal("failed")]),
  /** A failure that another attempt may fix (lock timeout, network); the op is requeued if attempts remain. */
  retryable: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.Object({ code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2000 }) })),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type Result = Static<typeof Result>;
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const ByteCount = Type.Integer({ minimum: 0, maximum: 1024 ** 4 });
/**
 * Where a leased operation is, as it happens: its phase (in order: creating, downloading, placing, starting, waiting), files done of total, bytes done of total (a download).
 * Sent at most twice a second per operation, and on every change of phase; only the current lease's
 * progress is kept, and it never changes a status.
 */
export const Progress = Type.Object({
  v: V,
  type: Type.Literal("progress"),
  opId: Uuid,
  token: Token,
  phase: Type.Union([Type.Literal("creating"), Type.Literal("downloading"), Type.Literal("placing"), Type.Literal("starting"), Type.Literal("waiting")]),
  done: Type.Optional(Count),
  total: Type.Optional(Count),
  bytesDone: Type.Optional(ByteCount),
  bytesTotal: Type.Optional(ByteCount),
});
export type Progress = Static<typeof Progress>;
export const AgentMessage = Type.Union([Hello, LeaseRequest, Heartbeat, Result, Progress]);
export type AgentMessage = Static<typeof AgentMessage>;

// ---- control plane -> agent
export const Welcome = Type.Object({
  v: V,
  type: Type.Literal("welcome"),
  sessionId: Id,
  hostId: Id,
  leaseTtlMs: Type.Integer(),
  /** Held leases still this agent's: continue them. Any other held lease must not be reported as current. */
  confirmed: Type.Array(HeldLease),
});
export const LeaseGrant = Type.Object({ v: V, type: Type.Literal("lease.grant"), ops: Type.Array(LeasedOperation) });
export const HeartbeatAck = Type.Object({
  v: V,
  type: Type.Literal("heartbeat.ack"),
  renewed: Type.Array(Id),
  lost: Type.Array(Id),
  /** The digest did not match what the control plane holds: send the full inventory next. */
  inventoryWanted: Type.Optional(Type.Boolean()),
});
export const ResultAck = Type.Object({
  v: V,
  type: Type.Literal("result.ack"),
  opId: Id,
  token: Token,
  outcome: Type.Union([Type.Literal("applied"), Type.Literal("duplicate"), Type.Literal("rejected")]),
});
export const WorkAvailable = Type.Object({ v: V, type: Type.Literal("work.available") });
export const ErrorMessage = Type.Object({
  v: V,
  type: Type.Literal("error"),
  code: Type.String(),
  message: Type.String(),
});
export const ControlMessage = Type.Union([Welcome, LeaseGrant, HeartbeatAck, ResultAck, WorkAvailable, ErrorMessage]);
export type ControlMessage = Static<typeof ControlMessage>;
export type ResultAck = Static<typeof ResultAck>;
