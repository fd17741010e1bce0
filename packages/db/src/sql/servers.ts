import { sql, type SQL } from "drizzle-orm";
import { boundedReason, type ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";

/**
 * Since when the server's oldest queued operation could have been leased (past its retry backoff, if any):
 * work waiting on its host (servers/waitingOnHost.ts). One probe of the (server_id, generation, kind) index per server read.
 */
const WORK_WAITING_SINCE = `(select min(greatest(o.created_at, o.not_before)) from operations o where o.server_id = s.id and o.status = 'queued') as work_waiting_since`;

/** A server with what the API needs of its host, to tell whether its state is current or stale, and whether its work waits on it. */
const WITH_HOST = sql.raw(`s.*, h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at, ${WORK_WAITING_SINCE}`);

export async function getServer(db: DbOrTx, id: string): Promise<ServerRow | null> {
  const rows = await db.execute<ServerRow>(sql`select ${WITH_HOST} from servers s join hosts h on h.id = s.host_id where s.id = ${id}`);
  return rows[0] ?? null;
}

export interface ServerFilter {
  customerId?: string;
  /** Exactly this name (servers_name_seq_idx). */
  name?: string;
  status?: ServerStatus;
  /** Deleted servers too (without a status filter, the list leaves them out). */
  includeDeleted?: boolean;
  /** Keyset: only servers created after the one with this `seq`. */
  afterSeq?: string;
  limit: number;
}

/**
 * What a page shows of a server: every column but the manifests (tens of
 * kilobytes each), whose hashes have columns of their own; a manifest is
 * read only where its hash is missing (rows from before those columns).
 */
const LISTED = sql.raw(`s.id, s.seq, s.caller_id, s.idempotency_key, s.request_hash, s.customer_id, s.name, s.minecraft_version, s.server_type, s.loader_version,
  s.mods, s.modpack, s.server_properties, s.memory_mib, s.cpu_cores, s.disk_gib, s.status, s.desired_state, s.generation, s.host_id, s.vmid,
  s.game_port, s.rcon_port, s.address, s.failure_reason, s.restart_generation, s.reinstall_generation, s.reinstall_wipe, s.change_generation,
  s.change_status, s.change_reason, s.previous_config, s.status_changed_at, s.restart_count, s.crash_streak, s.last_crash_at,
  s.last_crash_reason, s.last_crash_detail, s.stats, s.progress, s.heal_after, s.edge_hold_until, s.reachable, s.last_error, s.rcon_password_enc, s.created_at, s.updated_at, s.manifest_hash, s.requested_manifest_hash, s.previous_manifest_hash,
  case when s.manifest_hash is null then s.manifest end as manifest,
  case when s.requested_manifest_hash is null then s.requested_manifest end as requested_manifest,
  case when s.previous_manifest_hash is null then s.previous_manifest end as previous_manifest,
  h.session_id as host_session_id, h.last_heartbeat_at as host_heartbeat_at, ${WORK_WAITING_SINCE}`);

/**
 * One page in creation order, plus whether another page follows.
 *
 * Only the filters given are in the statement: with `($1 is null or
 * customer_id = $1)`, the prepared statement's generic plan (Postgres's
 * choice after five runs) cannot use the customer index, and a page out of
 * 50,000 servers took 10 ms of sequential scan instead of 0.5 ms (pnpm bench,
 * listServersP99Ms). Each combination of filters is its own statement.
 */
export async function listServers(db: DbOrTx, f: ServerFilter): Promise<{ rows: ServerRow[]; more: boolean }> {
  const filters = [
    f.customerId !== undefined ? sql`s.customer_id = ${f.customerId}` : null,
    f.name !== undefined ? sql`s.name = ${f.name}` : null,
    f.status !== undefined ? sql`s.status = ${f.status}` : f.includeDeleted ? null : sql`s.status <> 'deleted'`,
    f.afterSeq !== undefined ? sql`s.seq > ${f.afterSeq}::bigint` : null,
  ].filter((c): c is SQL => c !== null);
  const where = filters.length > 0 ? sql`where ${sql.join(filters, sql` and `)}` : sql``;
  const rows = await db.execute<ServerRow>(sql`
    select ${LISTED} from servers s join hosts h on h.id = s.host_id
    ${where}
    order by s.seq
    limit ${f.limit + 1}`);
  return { rows: rows.slice(0, f.limit), more: rows.length > f.limit };
}

/** Whether the server's container was ever provisioned (a provision succeeded): a failed server that never was needs one again, not a start. */
export async function wasProvisioned(db: DbOrTx, serverId: string): Promise<boolean> {
  const [row] = await db.execute<{ yes: boolean }>(
    sql`select exists (select 1 from operations where server_id = ${serverId} and kind = 'provision' and status = 'succeeded') as yes`,
  );
  return row!.yes;
}

/** The server's last error of work being retried ({code, message, url}, stamped now), or null to clear it once that work succeeded. */
export async function setLastError(db: DbOrTx, serverId: string, error: { code: string; message: string; url: string | null } | null): Promise<void> {
  // The message may echo a peer's text (an upstream's URL): stored bounded, whoever wrote it.
  const value = error === null ? null : JSON.stringify({ ...error, message: boundedReason(error.message), url: error.url === null ? null : boundedReason(error.url) });
  await db.execute(sql`
    update servers set last_error = case when ${value}::jsonb is null then null else ${value}::jsonb || jsonb_build_object('at', now()) end
    where id = ${serverId} and last_error is distinct from ${value}::jsonb`);
}
