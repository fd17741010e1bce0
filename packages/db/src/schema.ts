/**
 * The database schema: the source of truth for every server, its resources and
 * its host work. Invariants live here as constraints so that no code path can
 * break them: unique idempotency keys per caller, unique VMID/ports among live
 * servers, one live operation per (server, generation, kind), capacity never
 * over-committed, statuses limited to the state machine's vocabulary.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  bigserial,
  check,
  cidr,
  customType,
  foreignKey,
  index,
  inet,
  integer,
  jsonb,
  pgSequence,
  primaryKey,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  API_SCOPES,
  CHANGE_STATUSES,
  CRASH_DETAIL_MAX_BYTES,
  DESIRED_STATES,
  LIFECYCLE_KINDS,
  MISSED_POLICIES,
  OPERATION_KINDS,
  OPERATION_STATUSES,
  READ_ONLY_KINDS,
  SCHEDULE_ACTIONS,
  SCHEDULE_RUN_STATUSES,
  SERVER_STATUSES,
} from "@zlh/domain";
import { inList, liveOperation } from "./sql/statusLists";

/** Postgres' 64-bit transaction id (pg_current_xact_id()); read as text. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => "xid8" });
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

export const hosts = pgTable(
  "hosts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    node: text("node").notNull(),
    /** sha256 of the agent token; the token itself is shown once at enrolment. */
    agentTokenHash: text("agent_token_hash").notNull(),
    /** sha256 of the token a rotation replaced: still accepted until previousAgentTokenExpiresAt, then cleared (its sessions closed). */
    previousAgentTokenHash: text("previous_agent_token_hash"),
    previousAgentTokenExpiresAt: timestamp("previous_agent_token_expires_at", { withTimezone: true }),
    memoryMiB: integer("memory_mib").notNull(),
    cpuCores: integer("cpu_cores").notNull(),
    diskGiB: integer("disk_gib").notNull(),
    allocatedMemoryMib: integer("allocated_memory_mib").notNull().default(0),
    allocatedCpuCores: integer("allocated_cpu_cores").notNull().default(0),
    allocatedDiskGib: integer("allocated_disk_gib").notNull().default(0),
    /** The agent session that currently owns this host's work (one live session per host). */
    sessionId: uuid("session_id"),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }),
    inventory: jsonb("inventory"),
    /** sha256 of the stored inventory's canonical form (inventoryDigest): a heartbeat naming it confirms the inventory without resending it. */
    inventoryDigest: text("inventory_digest"),
    /** When the inventory was last observed by the agent (sent, or confirmed by its digest): the evidence's time. */
    inventoryAt: timestamp("inventory_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    /** Set while the host is cordoned (or draining): no new server is placed on it. */
    cordonedAt: timestamp("cordoned_at", { withTimezone: true }),
    /** The evidence the last reconciliation of this host judged (reconcile/evidence.ts): a host whose evidence is unchanged is not judged again. */
    reconciledEvidence: text("reconciled_evidence"),
    /** When this host was last reconciled: drives the periodic recheck and the drift items' `seenAt`. */
    reconciledAt: timestamp("reconciled_at", { withTimezone: true }),
    /** False while the last pass left something unjudged (work in flight, drift awaiting a second observation, a crash loop): the next pass looks again. */
    reconcileSettled: boolean("reconcile_settled").notNull().default(false),
    /**
     * The host's network (IPv4), all null for a host enrolled without one (its agent's own bridge and DHCP, as
     * before). `static`: each server gets the lowest free address of range_first..range_last (host_addresses);
     * `dhcp`: only the bridge, the address is what the agent observes. Addresses are stored as /32.
     */
    networkMode: text("network_mode"),
    networkBridge: text("network_bridge"),
    networkSubnet: cidr("network_subnet"),
    networkGateway: inet("network_gateway"),
    networkRangeFirst: inet("network_range_first"),
    networkRangeLast: inet("network_range_last"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("hosts_name_key").on(t.name),
    // The API validates with messages (hostNetwork.ts); this is the rule no path can slip past.
    // The bridge goes into a pct option (net0): never a ',' or '=' that would add another.
    check("hosts_network_bridge_valid", sql`(${t.networkMode} is null) = (${t.networkBridge} is null) and ${t.networkBridge} ~ '^[A-Za-z][A-Za-z0-9_.-]{0,14}$'`),
    check(
      "hosts_network_valid",
      sql`(${t.networkMode} is null and ${t.networkBridge} is null and ${t.networkSubnet} is null and ${t.networkGateway} is null
          and ${t.networkRangeFirst} is null and ${t.networkRangeLast} is null)
        or (${t.networkMode} = 'dhcp' and ${t.networkSubnet} is null and ${t.networkGateway} is null
          and ${t.networkRangeFirst} is null and ${t.networkRangeLast} is null)
        or (${t.networkMode} = 'static' and family(${t.networkSubnet}) = 4
          and masklen(${t.networkGateway}) = 32 and masklen(${t.networkRangeFirst}) = 32 and masklen(${t.networkRangeLast}) = 32
          and ${t.networkGateway} << ${t.networkSubnet} and ${t.networkRangeFirst} << ${t.networkSubnet} and ${t.networkRangeLast} << ${t.networkSubnet}
          and ${t.networkRangeFirst} <= ${t.networkRangeLast}
          and ${t.networkRangeFirst} > set_masklen(network(${t.networkSubnet})::inet, 32)
          and ${t.networkRangeLast} < set_masklen(broadcast(${t.networkSubnet}), 32)
          and ${t.networkGateway} not between ${t.networkRangeFirst} and ${t.networkRangeLast})`,
    ),
    uniqueIndex("hosts_agent_token_hash_key").on(t.agentTokenHash),
    uniqueIndex("hosts_previous_agent_token_hash_key").on(t.previousAgentTokenHash),
    check("hosts_capacity_positive", sql`${t.memoryMiB} > 0 and ${t.cpuCores} > 0 and ${t.diskGiB} > 0`),
    check(
      "hosts_allocation_within_capacity",
      sql`${t.allocatedMemoryMib} between 0 and ${t.memoryMiB}
        and ${t.allocatedCpuCores} between 0 and ${t.cpuCores}
        and ${t.allocatedDiskGib} between 0 and ${t.diskGiB}`,
    ),
  ],
);

export const servers = pgTable(
  "servers",
  {
    id: uuid("id").primaryKey(),
    /** Insertion order, used for keyset pagination. */
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity().notNull(),
    /**
     * The API client that created it (its name; for a bare token of old, the
     * token's sha256, which is what keys were scoped to before clients had
     * names). Idempotency keys are scoped to it, so rotating a client's token
     * keeps them.
     */
    callerId: text("caller_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** sha256 of the canonical request body, to tell a replay from a reused key. */
    requestHash: text("request_hash").notNull(),
    customerId: text("customer_id").notNull(),
    name: text("name").notNull(),
    minecraftVersion: text("minecraft_version").notNull(),
    /** What the server runs (SERVER_TYPES): fabric for every server from before types existed. */
    serverType: text("server_type").notNull().default("fabric"),
    loaderVersion: text("loader_version"),
    mods: jsonb("mods").notNull().default(sql`'[]'::jsonb`),
    /** The Modrinth modpack the server runs (docs/modpacks.md): the pack by sha512 and where it came from; null for none. */
    modpack: jsonb("modpack"),
    serverProperties: jsonb("server_properties").notNull().default(sql`'{}'::jsonb`),
    memoryMiB: integer("memory_mib").notNull(),
    cpuCores: integer("cpu_cores").notNull(),
    diskGiB: integer("disk_gib").notNull(),
    status: text("status").notNull().default("pending"),
    desiredState: text("desired_state").notNull().default("running"),
    /** Increases on every change of intent; operations are tied to one generation. */
    generation: integer("generation").notNull().default(1),
    hostId: uuid("host_id").notNull(),
    vmid: integer("vmid").notNull(),
    gamePort: integer("game_port").notNull(),
    rconPort: integer("rcon_port").notNull(),
    /**
     * The container's IPv4 address (/32): allocated with the VMID and ports on a `static` host (held in
     * host_addresses), or the one the agent observed on a `dhcp` host or one without a network; null until known.
     */
    address: inet("address"),
    failureReason: text("failure_reason"),
    /** The pinned Fabric manifest (packages/artifacts), resolved once before the first provision and reused after. */
    manifest: jsonb("manifest"),
    /**
     * manifestHash() of `manifest`, `requested_manifest` and `previous_manifest`, written with them: a page of
     * servers shows the three hashes without reading (and hashing) the manifests. Null on rows from before
     * migration 0012, where the API computes them from the manifests.
     */
    manifestHash: text("manifest_hash"),
    requestedManifestHash: text("requested_manifest_hash"),
    previousManifestHash: text("previous_manifest_hash"),
    /** RCON password, AES-256-GCM under ZLH_SECRETS_KEY (never stored or logged in clear). */
    rconPasswordEnc: text("rcon_password_enc"),
    /** The generation at which a restart was asked for (a restart is an action, not a state). */
    restartGeneration: integer("restart_generation"),
    /** The generation at which a reinstall was asked for: its provision places the manifest again from scratch. */
    reinstallGeneration: integer("reinstall_generation"),
    /** Whether that reinstall also wipes the customer's files (the world), not only the platform's. */
    reinstallWipe: boolean("reinstall_wipe").notNull().default(false),
    /** A requested change's manifest, resolved and not yet applied (`manifest` is what the host has). */
    requestedManifest: jsonb("requested_manifest"),
    /** The manifest before the last applied change (what a rollback placed again). */
    previousManifest: jsonb("previous_manifest"),
    /** The generation of the last change (PATCH), its state and, when it did not apply, why. */
    changeGeneration: integer("change_generation"),
    changeStatus: text("change_status"),
    changeReason: text("change_reason"),
    /** The settings before that change (version, loader, mods, properties, resources), restored by a rollback. */
    previousConfig: jsonb("previous_config"),
    /** When `status` last changed: evidence taken before it says nothing about the server's present. */
    statusChangedAt: timestamp("status_changed_at", { withTimezone: true }).notNull().defaultNow(),
    /** Crashes healed since the server was created (a desired-running server found stopped). */
    restartCount: integer("restart_count").notNull().default(0),
    /** Crashes in a row without 10 minutes up in between: drives the crash-loop backoff. */
    crashStreak: integer("crash_streak").notNull().default(0),
    lastCrashAt: timestamp("last_crash_at", { withTimezone: true }),
    /** Why it was last found down (packages/domain crashReason.ts: observed_stopped, game_exited, out_of_memory). */
    lastCrashReason: text("last_crash_reason"),
    /** What the last crash's evidence says (docs/crash-reports.md): cause, hint, summary, the agent's bounded evidence, how often in a row. */
    lastCrashDetail: jsonb("last_crash_detail"),
    /** The latest live figures from its agent (docs/live-stats.md): { at, cpuPercent, memoryBytes, playersOnline, playersMax, diskBytes }. */
    stats: jsonb("stats"),
    /** The last 60 of them, oldest first (a ring: 30 minutes at the 30 s cadence), for a console's chart. */
    statsHistory: jsonb("stats_history"),
    /** The current operation's latest progress (docs/design/agent-protocol.md): { opId, phase, done, total, bytesDone, bytesTotal, at }; null once it ends. */
    progress: jsonb("progress"),
    /** Not restarted by self-heal before this instant (crash-loop backoff); also when the last heal began. */
    healAfter: timestamp("heal_after", { withTimezone: true }),
    /**
     * Set (by the trigger servers_edge_dirty, in the transaction of the change) when something its desired edge
     * is derived from changed: created, status, desired state, address, port, VMID. The edge pass clears it.
     */
    edgeDirtyAt: timestamp("edge_dirty_at", { withTimezone: true }),
    /** A delete waits for its edge removal to be verified until this instant, then proceeds (ZLH_EDGE_DELETE_GRACE_SECONDS). */
    edgeHoldUntil: timestamp("edge_hold_until", { withTimezone: true }),
    /** The `reachable` condition as the edge pass last judged it: `{status, reason, message, since}`; null: never judged. */
    reachable: jsonb("reachable"),
    /**
     * The last error of work for this server that is being retried ({code, message, url, at}): e.g. the
     * artifact URL a manifest resolution could not fetch, and why. Cleared when that work succeeds.
     */
    lastError: jsonb("last_error"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("servers_seq_key").on(t.seq),
    uniqueIndex("servers_caller_idempotency_key").on(t.callerId, t.idempotencyKey),
    uniqueIndex("servers_live_vmid_key").on(t.vmid).where(sql`${t.status} <> 'deleted'`),
    index("servers_customer_seq_idx").on(t.customerId, t.seq),
    // GET /v1/servers?name= (a panel finding its server by the name it gave it).
    index("servers_name_seq_idx").on(t.name, t.seq),
    // The edge pass reads only the dirty ones: a quiet pass over a large fleet is one empty index scan.
    index("servers_edge_dirty_idx").on(t.edgeDirtyAt).where(sql`${t.edgeDirtyAt} is not null`),
    // Reconciliation asks "did a server of this host change status since its last pass?" per host.
    index("servers_host_status_changed_idx").on(t.hostId, t.statusChangedAt),
    foreignKey({ columns: [t.hostId], foreignColumns: [hosts.id], name: "servers_host_fk" }),
    check("servers_status_valid", sql`${t.status} in (${inList(SERVER_STATUSES)})`),
    check("servers_desired_state_valid", sql`${t.desiredState} in (${inList(DESIRED_STATES)})`),
    check("servers_address_single_ipv4", sql`${t.address} is null or (family(${t.address}) = 4 and masklen(${t.address}) = 32)`),
    check("servers_ports_distinct", sql`${t.gamePort} <> ${t.rconPort}`),
    // recordCrash fits the evidence under this (fitCrashEvidence: at most about 43 KiB); this bounds the row whatever wrote it.
    check("servers_last_crash_detail_bounded", sql`${t.lastCrashDetail} is null or octet_length(${t.lastCrashDetail}::text) <= ${sql.raw(String(CRASH_DETAIL_MAX_BYTES))}`),
    check("servers_resources_positive", sql`${t.memoryMiB} > 0 and ${t.cpuCores} > 0 and ${t.diskGiB} > 0`),
    check("servers_change_status_valid", sql`${t.changeStatus} is null or ${t.changeStatus} in (${inList(CHANGE_STATUSES)})`),
  ],
);

/**
 * What each edge provider should hold for each server and what it was last seen to hold (docs/design/edge.md):
 * `desired_hash` null means the provider should hold nothing for the server (deleted, not yet running).
 */
export const edgePublications = pgTable(
  "edge_publications",
  {
    serverId: uuid("server_id").notNull(),
    provider: text("provider").notNull(),
    /** The name published (or to remove): the name survives the server's row changing. */
    fqdn: text("fqdn").notNull(),
    desiredHash: text("desired_hash"),
    /** The hash last applied and verified; null: verified absent (or never applied). */
    appliedHash: text("applied_hash"),
    /**
     * The name something of the server's may still be held under (what was applied, or a leftover an audit
     * found); null: nothing anywhere. When it differs from `fqdn` (the naming template or the provider's zone
     * changed), the pass removes it before publishing the new name.
     */
    appliedFqdn: text("applied_fqdn"),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    lastErrorCode: text("last_error_code"),
    lastError: text("last_error"),
    attempts: integer("attempts").notNull().default(0),
    /** When the pass should apply (or remove) again; null: nothing due. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.serverId, t.provider] }),
    index("edge_publications_due_idx").on(t.nextAttemptAt).where(sql`${t.nextAttemptAt} is not null`),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "edge_publications_server_fk" }),
  ],
);

/**
 * Each edge provider's naming as the control plane last started with it (zone, template, target): a different
 * fingerprint at start marks every server dirty, so that the next pass moves the names instead of the next audit.
 */
export const edgeProviderConfigs = pgTable("edge_provider_configs", {
  provider: text("provider").primaryKey(),
  fingerprint: text("fingerprint").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Names a provider holds in the platform's naming scheme without the platform's ownership mark: reported, never touched. */
export const edgeDrift = pgTable(
  "edge_drift",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    provider: text("provider").notNull(),
    fqdn: text("fqdn").notNull(),
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("edge_drift_open_key").on(t.provider, t.fqdn).where(sql`${t.resolvedAt} is null`)],
);

/** Every change (PATCH) asked of a server, once per (client, Idempotency-Key). */
export const serverChanges = pgTable(
  "server_changes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id").notNull(),
    callerId: text("caller_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    generation: integer("generation").notNull(),
    changes: jsonb("changes").notNull(),
    /**
     * Where the change is (resolving, applying) or how it ended (applied, rolled_back, failed), and why; the
     * server shows only a change in progress. Null only in a row a release before the history wrote during an
     * upgrade: listChanges then reads the server or the change's end event.
     */
    status: text("status"),
    reason: text("reason"),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    check("server_changes_status_valid", sql`${t.status} in (${inList(CHANGE_STATUSES)})`),
    uniqueIndex("server_changes_caller_key").on(t.callerId, t.idempotencyKey),
    index("server_changes_server_idx").on(t.serverId, t.generation),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "server_changes_server_fk" }),
  ],
);

/**
 * One row per VMID of ZLH_VMID_RANGE. A row is taken by locking it
 * (`FOR UPDATE SKIP LOCKED`) and flipping its state in the transaction that
 * inserts the server; it goes back to `free` only once the host confirmed the
 * container is gone.
 */
export const vmidPool = pgTable(
  "vmid_pool",
  {
    vmid: integer("vmid").primaryKey(),
    state: text("state").notNull().default("free"),
    serverId: uuid("server_id"),
    /** For `releasing`: the host whose inventory must show the VMID gone before it is free again. For `excluded`: where the unmanaged guest is. */
    hostId: uuid("host_id"),
  },
  (t) => [
    check("vmid_pool_state_valid", sql`${t.state} in ('free', 'taken', 'releasing', 'excluded')`),
    check("vmid_pool_taken_has_server", sql`(${t.state} = 'taken') = (${t.serverId} is not null)`),
    index("vmid_pool_free_idx").on(t.vmid).where(sql`${t.state} = 'free'`),
    // Giving back a destroyed server's VMID (releaseServerResources) and
    // freeing what a host's inventory shows gone (recordHeartbeat) look rows up
    // by holder; without these they scanned the whole range (100,000 rows in
    // the benchmark) on every destroy and every heartbeat.
    index("vmid_pool_server_idx").on(t.serverId).where(sql`${t.serverId} is not null`),
    index("vmid_pool_host_held_idx").on(t.hostId).where(sql`${t.state} in ('releasing', 'excluded')`),
  ],
);

/**
 * The ports held on each host: a port of a host belongs to at most one live
 * server, and the primary key is that rule. Ports are per host (each host
 * forwards its own), so a fleet is not capped by one range of 64k ports. A
 * server's two rows are inserted with the server and deleted with its
 * confirmed destroy (releaseServerResources).
 */
export const hostPorts = pgTable(
  "host_ports",
  {
    hostId: uuid("host_id").notNull(),
    port: integer("port").notNull(),
    serverId: uuid("server_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.hostId, t.port], name: "host_ports_pkey" }),
    index("host_ports_server_idx").on(t.serverId),
    foreignKey({ columns: [t.hostId], foreignColumns: [hosts.id], name: "host_ports_host_fk" }),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "host_ports_server_fk" }),
  ],
);

/**
 * The addresses held on each `static` host, like host_ports: an address of a host belongs to at most one
 * live server, and the primary key is that rule. Inserted with the server, deleted with its confirmed destroy.
 */
export const hostAddresses = pgTable(
  "host_addresses",
  {
    hostId: uuid("host_id").notNull(),
    address: inet("address").notNull(),
    serverId: uuid("server_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.hostId, t.address], name: "host_addresses_pkey" }),
    uniqueIndex("host_addresses_server_key").on(t.serverId),
    check("host_addresses_single_ipv4", sql`family(${t.address}) = 4 and masklen(${t.address}) = 32`),
    foreignKey({ columns: [t.hostId], foreignColumns: [hosts.id], name: "host_addresses_host_fk" }),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "host_addresses_server_fk" }),
  ],
);

/** Task operations' generations: -nextval, so that each is unique and none is a server's (those are >= 1). */
export const taskGenerationSeq = pgSequence("task_generation_seq", { startWith: 1 });

/** Fencing tokens: only ever grow, across every operation and every control-plane process. */
export const fencingTokenSeq = pgSequence("fencing_token_seq", { startWith: 1 });

export const operations = pgTable(
  "operations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id").notNull(),
    hostId: uuid("host_id").notNull(),
    generation: integer("generation").notNull(),
    kind: text("kind").notNull(),
    /** The container this operation acts on (copied from the server when the operation is planned). */
    vmid: integer("vmid").notNull(),
    status: text("status").notNull().default("queued"),
    attempt: integer("attempt").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull().default(5),
    leaseToken: bigint("lease_token", { mode: "number" }),
    leaseSessionId: uuid("lease_session_id"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    result: jsonb("result"),
    error: text("error"),
    /** Retry backoff: a requeued operation is not leased before this instant. */
    notBefore: timestamp("not_before", { withTimezone: true }),
    /** Task operations: the request's own id (a command's, a backup's, a restore's), unique per kind. */
    subjectId: uuid("subject_id"),
    /** Task operations: what the agent needs (the command line; the backup to take or restore). */
    params: jsonb("params"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Lifecycle operations: one per (server, generation, kind). A task operation takes a generation of
    // its own, below zero (task_generation_seq), so the index stays as it was (migrations stay additive).
    uniqueIndex("operations_server_generation_kind_key").on(t.serverId, t.generation, t.kind),
    uniqueIndex("operations_subject_key").on(t.kind, t.subjectId).where(sql`${t.subjectId} is not null`),
    // One task at a time per server (a log read, which changes nothing, excepted): the database's rule, not
    // a check a racing request can slip past. Lifecycle steps keep their own rule (one per generation and kind).
    uniqueIndex("operations_one_live_task_key")
      .on(t.serverId)
      .where(sql`${t.status} in (${liveOperation}) and ${t.kind} not in (${inList([...LIFECYCLE_KINDS, ...READ_ONLY_KINDS])})`),
    index("operations_host_queued_idx").on(t.hostId, t.createdAt).where(sql`${t.status} = 'queued'`),
    index("operations_lease_expiry_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'leased'`),
    // The retention sweep's order (pruneOperations).
    index("operations_finished_idx").on(t.updatedAt).where(sql`${t.status} in ('succeeded', 'failed', 'cancelled')`),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "operations_server_fk" }),
    foreignKey({ columns: [t.hostId], foreignColumns: [hosts.id], name: "operations_host_fk" }),
    check("operations_kind_valid", sql`${t.kind} in (${inList(OPERATION_KINDS)})`),
    check("operations_status_valid", sql`${t.status} in (${inList(OPERATION_STATUSES)})`),
    check(
      "operations_lease_complete",
      sql`(${t.status} = 'leased') = (${t.leaseExpiresAt} is not null and ${t.leaseSessionId} is not null)`,
    ),
  ],
);

/** The audit trail: every transition, lease and result, in order. */
export const events = pgTable(
  "events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    serverId: uuid("server_id"),
    hostId: uuid("host_id"),
    operationId: uuid("operation_id"),
    type: text("type").notNull(),
    data: jsonb("data").notNull().default(sql`'{}'::jsonb`),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /**
     * The API client whose request caused the event (its name), null for the
     * control plane's own work (jobs, agents' reports, reconciliation). Set
     * by the database from the transaction's `zlh.actor` setting (setActor),
     * so no statement that writes an event can forget it.
     */
    actor: text("actor").default(sql`nullif(current_setting('zlh.actor', true), '')`),
    /**
     * The writing transaction's id. Ids are handed out at insert but become
     * visible at commit, in another order: a feed reading "id > cursor" would
     * skip an event committed late with a smaller id. The feed (listEvents)
     * serves only events of transactions older than every running one of
     * this database, in (xid, id) order, which is final for what it serves.
     */
    xid: xid8("xid").notNull().default(sql`pg_current_xact_id()`),
    /**
     * The feed's cursor: the event's place in the feed, which only grows.
     * Null until sequenced: one sequencing step at a time (sequenceEvents,
     * under an advisory lock) numbers the events of transactions older than
     * every running one of this database, in (xid, id) order, after the largest position
     * already given. An event committed late is numbered late, never before
     * one a reader has already passed.
     */
    position: bigint("position", { mode: "number" }),
  },
  (t) => [
    index("events_server_idx").on(t.serverId, t.id),
    index("events_type_idx").on(t.type, t.id),
    // What the release before this one reads the feed by (xid, id); dropped once no release reads it so.
    index("events_feed_idx").on(t.xid, t.id),
    index("events_server_feed_idx").on(t.serverId, t.xid, t.id),
    uniqueIndex("events_position_key").on(t.position),
    index("events_unsequenced_idx").on(t.xid, t.id).where(sql`${t.position} is null`),
    index("events_server_position_idx").on(t.serverId, t.position),
  ],
);

/**
 * API tokens kept in the database (besides those of ZLH_API_TOKENS), hashed.
 * Tokens with the same client name are the same client: that is how one is
 * rotated without downtime (add the new, move the panel, revoke the old).
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    clientName: text("client_name").notNull(),
    scope: text("scope").notNull(),
    /** sha256 of the token; the token itself is shown once, when created. */
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("api_tokens_token_hash_key").on(t.tokenHash),
    index("api_tokens_client_idx").on(t.clientName),
    check("api_tokens_scope_valid", sql`${t.scope} in (${inList(API_SCOPES)})`),
    check("api_tokens_client_name_valid", sql`${t.clientName} ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'`),
  ],
);

/**
 * Console tokens: short-lived, one server's console (log read and commands)
 * only, handed by the panel to a customer's browser. Stored hashed; they die
 * with their server (cascade), at `expires_at`, on revocation, and with the
 * database API token that asked for them (`parent_token_hash`; null when a
 * ZLH_API_TOKENS client asked, whose tokens live as long as the process).
 */
export const consoleTokens = pgTable(
  "console_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    clientName: text("client_name").notNull(),
    tokenHash: text("token_hash").notNull(),
    parentTokenHash: text("parent_token_hash"),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("console_tokens_token_hash_key").on(t.tokenHash), index("console_tokens_server_idx").on(t.serverId)],
);

export const BACKUP_STATUSES = ["pending", "running", "completed", "failed"] as const;

/**
 * Backups of a server's directory, kept on its host (ZLH_BACKUP_DIR: a local
 * disk or a mounted NFS/CIFS/PBS path), each with its size and sha256 as the
 * agent measured them after writing; a restore checks the sha256 first.
 */
export const backups = pgTable(
  "backups",
  {
    id: uuid("id").primaryKey(),
    serverId: uuid("server_id").notNull(),
    hostId: uuid("host_id").notNull(),
    status: text("status").notNull().default("pending"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    sha256: text("sha256"),
    /** The manifest the server had applied when the backup was asked for. */
    manifestHash: text("manifest_hash"),
    error: text("error"),
    createdAt: createdAt(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
    /** Set when removed (by DELETE or retention); the row stays for the audit trail. */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    /**
     * When a removed backup's archive was settled: its removal confirmed by the agent, or given up because its
     * host was removed (`backup.archive_abandoned`). Null while a removed backup's archive may still be on disk:
     * the removal sweep queues its removal until then.
     */
    archiveSettledAt: timestamp("archive_settled_at", { withTimezone: true }),
  },
  (t) => [
    index("backups_server_idx").on(t.serverId, t.createdAt),
    index("backups_removal_pending_idx").on(t.serverId).where(sql`${t.deletedAt} is not null and ${t.archiveSettledAt} is null`),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "backups_server_fk" }),
    check("backups_status_valid", sql`${t.status} in (${inList(BACKUP_STATUSES)})`),
    check("backups_completed_verified", sql`${t.status} <> 'completed' or (${t.sha256} is not null and ${t.sizeBytes} is not null)`),
  ],
);

export const DRIFT_KINDS = ["missing_container", "orphan_container", "unmanaged_container", "state_mismatch", "vmid_conflict", "crash_loop"] as const;

/**
 * Differences between the database and what hosts (or Proxmox) report. An item
 * is open while the difference is observed and resolves itself when it is not.
 */
export const driftItems = pgTable(
  "drift_items",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    hostId: uuid("host_id").notNull(),
    vmid: integer("vmid").notNull(),
    serverId: uuid("server_id"),
    detail: jsonb("detail").notNull().default(sql`'{}'::jsonb`),
    detectedAt: timestamp("detected_at", { withTimezone: true }).notNull().defaultNow(),
    /** Last time a reconciliation pass saw it. */
    seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the evidence of the last pass that saw it was taken: two passes over the same evidence are one observation. */
    observedAt: timestamp("observed_at", { withTimezone: true }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** An operator saw it and said so (POST /v1/drift/:id/acknowledge): hidden from the default list while it stays open. */
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    /** Who acknowledged it: the API client's name. */
    acknowledgedBy: text("acknowledged_by"),
  },
  (t) => [
    uniqueIndex("drift_items_open_key").on(t.kind, t.hostId, t.vmid).where(sql`${t.resolvedAt} is null`),
    // A host's open items, read by every pass that judges the host.
    index("drift_items_host_open_idx").on(t.hostId).where(sql`${t.resolvedAt} is null`),
    // The retention sweep's order (pruneResolvedDrift): resolved items only, the oldest first; open ones never go.
    index("drift_items_resolved_idx").on(t.resolvedAt).where(sql`${t.resolvedAt} is not null`),
    check("drift_items_kind_valid", sql`${t.kind} in (${inList(DRIFT_KINDS)})`),
    foreignKey({ columns: [t.hostId], foreignColumns: [hosts.id], name: "drift_items_host_fk" }),
  ],
);

/**
 * `.mrpack` files customers uploaded (POST /v1/modpacks), content-addressed
 * by sha512: read and checked before they are stored, so every row is a pack
 * the platform can provision. Agents fetch them by hash to extract overrides.
 * Who may use one is modpack_upload_owners; bytes no owner and no live server
 * need are removed after ZLH_MODPACK_RETENTION_DAYS.
 */
export const modpackUploads = pgTable("modpack_uploads", {
  sha512: text("sha512").primaryKey(),
  size: integer("size").notNull(),
  /** STORAGE EXTERNAL (migration 0030, hand-written): a zip does not compress, and slices are read with substring(). */
  data: bytea("data").notNull(),
  /** The pack's name, version, game and loader, as read at upload. */
  summary: jsonb("summary").notNull(),
  /** The API client that first uploaded it. */
  callerId: text("caller_id").notNull(),
  createdAt: createdAt(),
});

/**
 * Which customers uploaded a pack: a customer's servers can use only packs
 * uploaded for that customer, so knowing a sha512 is not enough. One row per
 * customer and pack; its `created_at` is that customer's own upload time.
 */
export const modpackUploadOwners = pgTable(
  "modpack_upload_owners",
  {
    /** The panel's customer id the pack was uploaded for (servers' `customer_id`). */
    customerId: text("customer_id").notNull(),
    sha512: text("sha512").notNull(),
    /** The API client that uploaded it for this customer. */
    callerId: text("caller_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.customerId, t.sha512] }),
    index("modpack_upload_owners_sha512_idx").on(t.sha512),
    foreignKey({ columns: [t.sha512], foreignColumns: [modpackUploads.sha512], name: "modpack_upload_owners_upload_fk" }).onDelete("cascade"),
  ],
);

/**
 * What a pack (uploaded or from Modrinth) places, read once by its sha512:
 * its files and each override's size and sha512, which take inflating and
 * hashing the whole archive. Resolution reads this instead of the pack, so
 * a pack is inflated when it is first seen, not at every resolution. The
 * same bytes always read the same, so rows are shared by every customer.
 */
export const modpackContents = pgTable("modpack_contents", {
  sha512: text("sha512").primaryKey(),
  contents: jsonb("contents").notNull(),
  createdAt: createdAt(),
});

/**
 * Files NeoForge's installer made (its processors' outputs: the unpacked
 * game jar, run scripts, unix_args.txt) in the one sandboxed run per
 * (game, NeoForge version), content-addressed by sha512: upstream
 * publishes no URL for them, so agents fetch them from here by hash.
 */
export const neoforgeFiles = pgTable("neoforge_files", {
  sha512: text("sha512").primaryKey(),
  size: integer("size").notNull(),
  data: bytea("data").notNull(),
  createdAt: createdAt(),
  /**
   * When an install last recorded this file (a later install with the same
   * bytes renews it): the retention sweep removes only a file that no
   * install lists and that is older than its retention by this, so an
   * install being written is never left listing a swept file.
   */
  usedAt: timestamp("used_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The one installer run per (game, NeoForge version): every file it left,
 * by path, with its hash (`{ path, size, sha512, sha1, url? }`, `url` for
 * a library placed from upstream). Written once under an advisory lock, so
 * concurrent resolutions run the installer once and pin the same tree.
 */
export const neoforgeInstalls = pgTable(
  "neoforge_installs",
  {
    game: text("game").notNull(),
    neoforgeVersion: text("neoforge_version").notNull(),
    installerSha512: text("installer_sha512").notNull(),
    files: jsonb("files").notNull(),
    createdAt: createdAt(),
    /**
     * When a resolution last pinned a manifest from it (renewed by each):
     * the retention sweep removes only an install no live server uses and
     * unused for ZLH_NEOFORGE_RETENTION_DAYS by this, so a resolution that
     * read it is never left with a manifest pointing at swept files.
     */
    usedAt: timestamp("used_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.game, t.neoforgeVersion], name: "neoforge_installs_pkey" })],
);

/**
 * The NeoForge builds a customer's creates and changes asked for while
 * they were not installed yet (each costs an installer run of minutes):
 * at most ZLH_NEOFORGE_NEW_BUILDS_PER_DAY such builds per customer in any
 * 24 hours. One row per customer and build; `claimed_at` is when it was
 * first asked for in that window. Old rows are removed by the sweep.
 */
export const neoforgeBuildClaims = pgTable(
  "neoforge_build_claims",
  {
    customerId: text("customer_id").notNull(),
    game: text("game").notNull(),
    neoforgeVersion: text("neoforge_version").notNull(),
    claimedAt: timestamp("claimed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.game, t.neoforgeVersion], name: "neoforge_build_claims_pkey" })],
);

/**
 * Hashes the resolver computed for upstream files that publish none (the
 * Fabric launcher, libraries) or only a sha1 (Mojang): each URL is downloaded
 * and hashed once, then the same inputs always resolve to the same manifest.
 */
export const artifactDigests = pgTable("artifact_digests", {
  url: text("url").primaryKey(),
  size: bigint("size", { mode: "number" }).notNull(),
  sha512: text("sha512").notNull(),
  sha1: text("sha1").notNull(),
  createdAt: createdAt(),
});

/**
 * graphile-worker workers of live control-plane processes, each seen every
 * lease TTL/3. graphile-worker itself frees a job locked by a dead process
 * only after 4 hours; a job locked by a worker not seen for a lease TTL is
 * unlocked sooner (packages/db/src/sql/workerLiveness.ts).
 */
export const controlPlaneWorkers = pgTable("control_plane_workers", {
  workerId: text("worker_id").primaryKey(),
  seenAt: timestamp("seen_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Per-server schedules (docs/design/schedules.md): a cron expression in a time zone and an action. `next_slot`
 * is the next slot no tick has judged yet; `due_at` is when a tick takes it (the slot, or a countdown
 * restart's first warning before it). A schedule ends (ended_at) when deleted or when its server is.
 */
export const schedules = pgTable(
  "schedules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    serverId: uuid("server_id").notNull(),
    name: text("name").notNull(),
    cron: text("cron").notNull(),
    timeZone: text("time_zone").notNull(),
    action: text("action").notNull(),
    /** command: the console line; announce: the `say` text. */
    argument: text("argument"),
    /** restart: warn in game first. */
    countdown: boolean("countdown").notNull().default(true),
    missedPolicy: text("missed_policy").notNull().default("skip"),
    nextSlot: timestamp("next_slot", { withTimezone: true }),
    dueAt: timestamp("due_at", { withTimezone: true }),
    /**
     * The newest slot claimed (a schedule_runs row): a change places `next_slot` after it, so a
     * slot claimed by a countdown is never placed again (schedules_next_after_last holds it).
     */
    lastSlot: timestamp("last_slot", { withTimezone: true }),
    /** The slot a tick last found the server busy for: past its tolerance it is skipped `server_busy`, not `missed`. */
    busySlot: timestamp("busy_slot", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("schedules_server_name_key").on(t.serverId, t.name).where(sql`${t.endedAt} is null`),
    index("schedules_due_idx").on(t.dueAt).where(sql`${t.endedAt} is null`),
    foreignKey({ columns: [t.serverId], foreignColumns: [servers.id], name: "schedules_server_fk" }),
    check("schedules_action_valid", sql`${t.action} in (${inList(SCHEDULE_ACTIONS)})`),
    check("schedules_missed_policy_valid", sql`${t.missedPolicy} in (${inList(MISSED_POLICIES)})`),
    check("schedules_argument_needed", sql`(${t.action} in ('command', 'announce')) = (${t.argument} is not null)`),
    check("schedules_next_after_last", sql`${t.nextSlot} is null or ${t.lastSlot} is null or ${t.nextSlot} > ${t.lastSlot}`),
  ],
);

/**
 * A schedule's slots, each claimed once: the primary key (schedule, slot) is inserted in the transaction that
 * asks for the slot's action, so any number of control planes run a slot exactly once.
 */
export const scheduleRuns = pgTable(
  "schedule_runs",
  {
    scheduleId: uuid("schedule_id").notNull(),
    slot: timestamp("slot", { withTimezone: true }).notNull(),
    serverId: uuid("server_id").notNull(),
    status: text("status").notNull(),
    /** Run after its tolerance had passed (policy run_late). */
    late: boolean("late").notNull().default(false),
    /** Due slots before this one that were missed and only counted. */
    missedBefore: integer("missed_before").notNull().default(0),
    /** The task operation the run asked for (backup, command, announce). */
    operationId: uuid("operation_id"),
    reason: text("reason"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.scheduleId, t.slot], name: "schedule_runs_pkey" }),
    index("schedule_runs_operation_idx").on(t.operationId).where(sql`${t.operationId} is not null`),
    // The retention sweep's order (pruneScheduleRuns).
    index("schedule_runs_finished_idx").on(t.finishedAt).where(sql`${t.status} <> 'started'`),
    foreignKey({ columns: [t.scheduleId], foreignColumns: [schedules.id], name: "schedule_runs_schedule_fk" }),
    check("schedule_runs_status_valid", sql`${t.status} in (${inList(SCHEDULE_RUN_STATUSES)})`),
  ],
);

/**
 * The first answer to a keyed request that leaves no record of its own to
 * find the key on (start, stop, restart: the server's desired state; a
 * schedule's create), replayed to a retry with the same Idempotency-Key and
 * request (requestHash), 422 with another. Kept as long as finished
 * operations are (the retention sweep).
 */
export const keyedAnswers = pgTable(
  "keyed_answers",
  {
    clientName: text("client_name").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    answer: jsonb("answer").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.clientName, t.idempotencyKey], name: "keyed_answers_pkey" }), index("keyed_answers_created_idx").on(t.createdAt)],
);
