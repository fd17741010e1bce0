/**
 * Rows as raw SQL returns them (snake_case; timestamps as Postgres text, int8
 * as string, which is how drizzle's postgres.js driver configures the client).
 */
import type { DesiredState, OperationKind, OperationStatus, ServerStatus, ServerType } from "@zlh/domain";

export type ServerRow = {
  id: string;
  seq: string;
  caller_id: string;
  idempotency_key: string;
  request_hash: string;
  customer_id: string;
  name: string;
  minecraft_version: string;
  server_type: ServerType;
  loader_version: string | null;
  mods: { project: string; version?: string }[];
  /** ModpackPin (apps/control-plane/src/modpacks), null for none. */
  modpack: unknown;
  server_properties: Record<string, string | number | boolean>;
  memory_mib: number;
  cpu_cores: number;
  disk_gib: number;
  status: ServerStatus;
  desired_state: DesiredState;
  generation: number;
  host_id: string;
  vmid: number;
  game_port: number;
  rcon_port: number;
  /** IPv4 (inet text, no mask: addresses are /32); null until known. */
  address: string | null;
  failure_reason: string | null;
  restart_generation: number | null;
  reinstall_generation: number | null;
  reinstall_wipe: boolean;
  requested_manifest: unknown;
  previous_manifest: unknown;
  change_generation: number | null;
  change_status: "resolving" | "applying" | "applied" | "rolled_back" | "failed" | null;
  change_reason: string | null;
  previous_config: Record<string, unknown> | null;
  status_changed_at: string;
  restart_count: number;
  crash_streak: number;
  last_crash_at: string | null;
  last_crash_reason: string | null;
  last_crash_detail: Record<string, unknown> | null;
  stats: { at: string; cpuPercent: number | null; memoryBytes: number | null; playersOnline?: number | null; playersMax?: number | null; diskBytes?: number | null } | null;
  progress: { opId: string; phase: string; done: number | null; total: number | null; bytesDone: number | null; bytesTotal: number | null; at: string } | null;
  heal_after: string | null;
  edge_hold_until?: string | null;
  /** The `reachable` condition the edge pass last judged (null: never). */
  reachable?: { status: boolean; reason: string; message: string; since: string } | null;
  /** The last error of work being retried for it (a manifest resolution that cannot fetch), cleared when it succeeds. */
  last_error: { code: string; message: string; url: string | null; at: string } | null;
  manifest: unknown;
  manifest_hash: string | null;
  requested_manifest_hash: string | null;
  previous_manifest_hash: string | null;
  rcon_password_enc: string | null;
  created_at: string;
  /** Present when read through getServer/listServers: the host's agent session and last heartbeat. */
  host_session_id?: string | null;
  host_heartbeat_at?: string | null;
  /** Present when read through getServer/listServers: since when its oldest queued operation could have been leased (null: none queued). */
  work_waiting_since?: string | null;
  updated_at: string;
};

export type HostRow = {
  id: string;
  name: string;
  node: string;
  memory_mib: number;
  cpu_cores: number;
  disk_gib: number;
  allocated_memory_mib: number;
  allocated_cpu_cores: number;
  allocated_disk_gib: number;
  session_id: string | null;
  last_heartbeat_at: string | null;
  cordoned_at: string | null;
  network_mode: "static" | "dhcp" | null;
  network_bridge: string | null;
  /** cidr text, e.g. 10.60.0.0/24. */
  network_subnet: string | null;
  network_gateway: string | null;
  network_range_first: string | null;
  network_range_last: string | null;
  created_at: string;
};

export type OperationRow = {
  id: string;
  server_id: string;
  host_id: string;
  generation: number;
  kind: OperationKind;
  vmid: number;
  status: OperationStatus;
  attempt: number;
  max_attempts: number;
  lease_token: string | null;
  lease_session_id: string | null;
  lease_expires_at: string | null;
  result: unknown;
  error: string | null;
  /** Milliseconds since the operation was planned, by the database's clock (for the dispatch and duration metrics). */
  age_ms: number;
  /** Task operations: the request's id, and what the agent needs. */
  subject_id: string | null;
  params: Record<string, unknown> | null;
};
