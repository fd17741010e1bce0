import { manifestHash, type Manifest, type ManifestModpack } from "@zlh/artifacts";
import type { Server } from "@zlh/api";
import type { ServerRow } from "@zlh/db";
import { crashHint, isCrashLooping } from "@zlh/domain";
import { presentConditions } from "../edge/conditions";
import { desiredEdge, type EdgeNaming } from "../edge/desiredEdge";
import { isHostConnected } from "../hosts/connectivity";
import { waitingOnHost } from "./waitingOnHost";

/** Postgres timestamptz text -> ISO 8601. */
export function isoTime(pgText: string): string {
  return new Date(pgText).toISOString();
}

/**
 * A server row as the panel API shows it. `stale` marks a server whose host's
 * agent is not connected: its status is the last one observed, not declared dead.
 */
export function presentServer(row: ServerRow, view: { leaseTtlMs: number; edgeNaming: EdgeNaming | null; edgeProviders?: readonly unknown[] }): Server {
  const { leaseTtlMs } = view;
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    status: row.status,
    desiredState: row.desired_state,
    generation: row.generation,
    hostId: row.host_id,
    // A deleted server's VMID and ports go back to the pools and may be another server's now.
    vmid: row.status === "deleted" ? null : row.vmid,
    ports: row.status === "deleted" ? null : { game: row.game_port, rcon: row.rcon_port },
    address: row.status === "deleted" ? null : row.address,
    connect: connectTo(row, view.edgeNaming),
    conditions: presentConditions(row, (view.edgeProviders?.length ?? 0) > 0),
    type: row.server_type,
    minecraftVersion: row.minecraft_version,
    loaderVersion: row.loader_version,
    mods: row.mods,
    modpack: presentModpack(row.modpack as ManifestModpack | null),
    memoryMiB: row.memory_mib,
    cpuCores: row.cpu_cores,
    diskGiB: row.disk_gib,
    serverProperties: row.server_properties,
    failureReason: row.failure_reason,
    // Work held up by its host is the current reason; the stored one is of the work's own last attempt.
    lastError: waitingOnHost(row, Date.now(), leaseTtlMs) ?? (row.last_error ? { ...row.last_error, at: isoTime(row.last_error.at) } : null),
    restartCount: row.restart_count,
    lastCrashAt: row.last_crash_at ? isoTime(row.last_crash_at) : null,
    lastCrash: row.last_crash_at ? lastCrash(row) : null,
    stats: row.status === "running" ? row.stats : null,
    progress: presentProgress(row.progress),
    nextRestartAt: row.status === "stopped" && row.desired_state === "running" && row.heal_after && new Date(row.heal_after).getTime() > Date.now() ? isoTime(row.heal_after) : null,
    crashLooping: isCrashLooping(row.crash_streak, row.last_crash_at ? new Date(row.last_crash_at) : null, new Date()),
    stale:
      row.status !== "deleted" &&
      row.host_heartbeat_at !== undefined &&
      !isHostConnected({ session_id: row.host_session_id ?? null, last_heartbeat_at: row.host_heartbeat_at ?? null }, Date.now(), leaseTtlMs),
    manifests: {
      applied: row.manifest_hash ?? hashOf(row.manifest),
      requested: row.requested_manifest_hash ?? hashOf(row.requested_manifest),
      previous: row.previous_manifest_hash ?? hashOf(row.previous_manifest),
    },
    // Only a change in progress: one that has ended is in the server's change history (GET .../changes).
    change:
      row.change_generation !== null && (row.change_status === "resolving" || row.change_status === "applying")
        ? { generation: row.change_generation, status: row.change_status, reason: null }
        : null,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}

/** The operation's progress without the operation id it was recorded under. */
function presentProgress(p: ServerRow["progress"]): Server["progress"] {
  if (!p) return null;
  return { phase: p.phase, done: p.done, total: p.total, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, at: p.at };
}

/** For rows written before the hash columns existed (null there); every later write stores the hash. */
function hashOf(manifest: unknown): string | null {
  return manifest ? manifestHash(manifest as Manifest) : null;
}

/** Where a player connects: the server's name on the edge, with the port its records point at. */
function connectTo(row: ServerRow, naming: EdgeNaming | null): Server["connect"] {
  if (!naming || row.status === "deleted" || row.address === null) return null;
  // Servers are Fabric only, so far: the type is not a column yet.
  const edge = desiredEdge({ id: row.id, vmid: row.vmid, type: "fabric", address: row.address, gamePort: row.game_port }, naming);
  const srv = edge.records.find((r) => r.type === "SRV");
  return srv ? { host: edge.fqdn, port: srv.port } : null;
}

type LastCrash = NonNullable<Server["lastCrash"]>;
interface CrashDetail {
  cause?: string;
  hint?: string | null;
  summary?: string | null;
  repeated?: number;
  evidence?: LastCrash["evidence"];
}

/** The last crash as the API shows it: its reason, and what its evidence says where it was recorded with some. */
function lastCrash(row: ServerRow): LastCrash {
  const d = (row.last_crash_detail ?? {}) as CrashDetail;
  return {
    at: isoTime(row.last_crash_at!),
    reason: row.last_crash_reason ?? "observed_stopped",
    hint: d.hint ?? crashHint(row.last_crash_reason),
    cause: d.cause ?? null,
    summary: d.summary ?? null,
    repeated: d.repeated ?? 1,
    evidence: d.evidence ?? null,
  };
}

function presentModpack(p: ManifestModpack | null): Server["modpack"] {
  return p ? { source: p.source, name: p.name, version: p.version, projectId: p.projectId ?? null, versionId: p.versionId ?? null, sha512: p.sha512 } : null;
}
