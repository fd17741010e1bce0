import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import { insertTaskOperation } from "./taskOperations";

export type BackupRow = {
  id: string;
  server_id: string;
  status: "pending" | "running" | "completed" | "failed";
  size_bytes: string | null;
  sha256: string | null;
  manifest_hash: string | null;
  error: string | null;
  created_at: string;
  completed_at: string | null;
};

const COLUMNS = sql.raw(`id, server_id, status, size_bytes::text as size_bytes, sha256, manifest_hash, error, created_at, completed_at`);

/**
 * Asks for a backup: its row (pending) and its task operation, together, or
 * neither when the server is busy (null). The manifest applied now is
 * recorded with it.
 */
export async function requestBackup(
  tx: DbOrTx,
  serverId: string,
  backupId: string,
  manifestHash: string | null,
  keyed: TaskKey | null = null,
): Promise<BackupRow | null> {
  const opId = await insertTaskOperation(tx, serverId, "backup", backupId, { backupId, ...keyParams(keyed) }, 3);
  if (!opId) return null;
  const [row] = await tx.execute<BackupRow>(sql`
    with b as (
      insert into backups (id, server_id, host_id, manifest_hash)
      select ${backupId}, id, host_id, ${manifestHash} from servers where id = ${serverId}
      returning *
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, ${opId}::uuid, 'backup.requested', jsonb_build_object('backupId', id) from b
    )
    select ${COLUMNS} from b`);
  return row!;
}

/** The Idempotency-Key a backup, restore or command was asked with: the client's, with the fingerprint of its request. */
export interface TaskKey {
  client: string;
  key: string;
  requestHash: string;
}

/** How a keyed task's operation carries its key (in its params: the operation is the request's record). */
export function keyParams(keyed: TaskKey | null): Record<string, string> {
  return keyed ? { idempotencyClient: keyed.client, idempotencyKey: keyed.key, requestHash: keyed.requestHash } : {};
}

/**
 * The backup, restore or console command a client already asked for on this server with this
 * Idempotency-Key, if any (the caller holds lockIdempotencyKey, so of
 * concurrent retries one queues and the others find it here).
 */
export async function findKeyedTask(tx: DbOrTx, serverId: string, client: string, key: string): Promise<{ id: string; kind: string; subject_id: string; request_hash: string } | null> {
  const [row] = await tx.execute<{ id: string; kind: string; subject_id: string; request_hash: string }>(sql`
    select id, kind, subject_id, params->>'requestHash' as request_hash from operations
    where server_id = ${serverId} and kind in ('backup', 'restore', 'command')
      and params->>'idempotencyClient' = ${client} and params->>'idempotencyKey' = ${key}
    limit 1`);
  return row ?? null;
}

/**
 * A server's backups, newest first, a page at a time (`limit + 1` rows tell
 * whether more follow): keyset on (created_at, id), `created_key` being
 * created_at as Postgres writes it (to the microsecond) for the next cursor.
 */
export async function listBackups(
  db: DbOrTx,
  serverId: string,
  page?: { before?: { createdAt: string; id: string }; limit: number },
): Promise<(BackupRow & { created_key: string })[]> {
  const beforeAt = page?.before?.createdAt ?? null;
  const beforeId = page?.before?.id ?? null;
  return db.execute<BackupRow & { created_key: string }>(sql`
    select ${COLUMNS}, created_at::text as created_key from backups
    where server_id = ${serverId} and deleted_at is null
      and (${beforeAt}::timestamptz is null or (created_at, id) < (${beforeAt}::timestamptz, ${beforeId}::uuid))
    order by created_at desc, id desc
    limit ${page ? page.limit : null}`);
}

export async function getBackup(db: DbOrTx, serverId: string, backupId: string): Promise<BackupRow | null> {
  const [row] = await db.execute<BackupRow>(sql`select ${COLUMNS} from backups where id = ${backupId} and server_id = ${serverId} and deleted_at is null`);
  return row ?? null;
}

/** A backup by its id alone, whichever server it is of (a restore into another server). */
export async function getBackupById(db: DbOrTx, backupId: string): Promise<BackupRow | null> {
  const [row] = await db.execute<BackupRow>(sql`select ${COLUMNS} from backups where id = ${backupId} and deleted_at is null`);
  return row ?? null;
}

/** A backup's operation was leased: it is being written. */
export async function markBackupRunning(tx: DbOrTx, backupId: string): Promise<void> {
  await tx.execute(sql`update backups set status = 'running' where id = ${backupId} and status = 'pending'`);
}

/**
 * Where a backup's outcome is recorded: `completed` only with the size and
 * sha256 the agent measured on disk (a check constraint makes a completed
 * backup without them impossible), else `failed` with the reason.
 */
export async function finishBackup(
  tx: DbOrTx,
  backupId: string,
  outcome: { sizeBytes: number; sha256: string } | { error: string },
): Promise<void> {
  const ok = "sha256" in outcome;
  await tx.execute(sql`
    with b as (
      update backups set
        status = ${ok ? "completed" : "failed"},
        size_bytes = ${ok ? outcome.sizeBytes : null}, sha256 = ${ok ? outcome.sha256 : null},
        error = ${ok ? null : outcome.error}, completed_at = now()
      where id = ${backupId} and status in ('pending', 'running')
      returning server_id, host_id, id, status, size_bytes, sha256, error
    )
    insert into events (server_id, host_id, type, data)
    select server_id, host_id, 'backup.' || status,
      jsonb_strip_nulls(jsonb_build_object('backupId', id, 'sizeBytes', size_bytes, 'sha256', sha256, 'error', error)) from b`);
}

/**
 * The backups retention removes: beyond the newest `keep` completed ones, or
 * older than `maxAgeDays`; failed ones go with them (they hold no archive
 * worth keeping). Marked deleted now; their archives are removed by a
 * backup_delete operation.
 */
export async function pruneBackups(tx: DbOrTx, serverId: string, keep: number, maxAgeDays: number): Promise<string[]> {
  const rows = await tx.execute<{ id: string }>(sql`
    with ranked as (
      select id, status, created_at, row_number() over (partition by status = 'completed' order by created_at desc) as n
      from backups where server_id = ${serverId} and deleted_at is null and status in ('completed', 'failed')
    )
    update backups b set deleted_at = now()
    from ranked r
    where b.id = r.id and (r.status = 'failed' or r.n > ${keep} or r.created_at < now() - ${maxAgeDays} * interval '1 day')
    returning b.id`);
  return rows.map((r) => r.id);
}

/** DELETE of one backup: marked deleted (null if unknown, or still being written). */
export async function markBackupDeleted(tx: DbOrTx, serverId: string, backupId: string): Promise<boolean> {
  const rows = await tx.execute<{ id: string }>(sql`
    with b as (
      update backups set deleted_at = now()
      where id = ${backupId} and server_id = ${serverId} and deleted_at is null and status in ('completed', 'failed')
      returning id, server_id, host_id
    ), event as (
      insert into events (server_id, host_id, type, data) select server_id, host_id, 'backup.deleted', jsonb_build_object('backupId', id) from b
    )
    select id from b`);
  return rows.length > 0;
}
