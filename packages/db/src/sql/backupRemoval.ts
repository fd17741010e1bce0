import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "../client";
import { inTransaction } from "./inTransaction";
import { lockServerForTask, queueTaskLocked } from "./taskOperations";
import { liveOperation, readOnlyKind } from "./statusLists";

/**
 * Removing a backup is two steps: the row is marked deleted at once (by
 * DELETE or retention: it is gone from the API), and its archive on the
 * host is removed by a backup_delete operation, confirmed by the agent
 * (archive_settled_at). A removal that cannot be queued now (the server is
 * busy) is queued later by the sweep (removalsPending + queueBackupRemoval),
 * for deleted servers too: their archives stay in the host's backup dir
 * until removed.
 */

/** At most this many archives per backup_delete operation. */
const IDS_PER_REMOVAL = 100;

/**
 * Queues the removal of the server's removed backups whose archives are not
 * yet confirmed gone, unless one is queued or running already. Returns the
 * operation's id, or null when there is nothing to remove, the server is
 * busy (the sweep comes back), or its host was removed (abandonRemovedHostsArchives).
 */
export async function queueBackupRemoval(db: DbOrTx, serverId: string): Promise<string | null> {
  return inTransaction(db, async (tx) => {
    if (!(await lockServerForTask(tx, serverId, true))) return null;
    const rows = await tx.execute<{ id: string }>(sql`
      select b.id from backups b
      where b.server_id = ${serverId} and b.deleted_at is not null and b.archive_settled_at is null
        and not exists (select 1 from operations o where o.server_id = ${serverId} and o.kind = 'backup_delete' and o.status in (${liveOperation}))
        -- A removal that failed for good is tried again, but not at every sweep.
        and not exists (select 1 from operations o where o.server_id = ${serverId} and o.kind = 'backup_delete' and o.status = 'failed'
          and o.updated_at > now() - interval '5 minutes')
      order by b.deleted_at, b.id
      limit ${IDS_PER_REMOVAL}`);
    if (rows.length === 0) return null;
    return queueTaskLocked(tx, serverId, "backup_delete", randomUUID(), { backupIds: rows.map((r) => r.id) }, 3);
  });
}

/** The agent removed these archives: their removal is settled (`backup.archive_removed`). */
export async function settleRemovedArchives(tx: Tx, backupIds: string[]): Promise<void> {
  if (backupIds.length === 0) return;
  await tx.execute(sql`
    with settled as (
      update backups set archive_settled_at = now()
      where id = any(${`{${backupIds.join(",")}}`}::uuid[]) and deleted_at is not null and archive_settled_at is null
      returning id, server_id, host_id
    )
    insert into events (server_id, host_id, type, data)
    select server_id, host_id, 'backup.archive_removed', jsonb_build_object('backupId', id) from settled`);
}

/**
 * Archives on a host that was removed can no longer be removed by the
 * platform: their removal is settled as abandoned, with a
 * `backup.archive_abandoned` event naming the host (the operator's to
 * clean, if the disk is ever attached again). Returns how many.
 */
export async function abandonRemovedHostsArchives(db: DbOrTx): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    with abandoned as (
      update backups b set archive_settled_at = now()
      from hosts h
      where b.deleted_at is not null and b.archive_settled_at is null and h.id = b.host_id and h.revoked_at is not null
      returning b.id, b.server_id, b.host_id
    ), event as (
      insert into events (server_id, host_id, type, data)
      select server_id, host_id, 'backup.archive_abandoned', jsonb_build_object('backupId', id, 'reason', 'its host was removed') from abandoned
    )
    select id from abandoned`);
  return rows.length;
}

/**
 * Servers with removed backups whose archives are not confirmed gone and
 * that could take their removal now: nothing but reads live on them, and no
 * removal failed there lately (a partial index keeps this cheap; skipping
 * those that cannot take it keeps them from crowding out the others).
 */
export async function removalsPending(db: DbOrTx, limit: number): Promise<string[]> {
  const rows = await db.execute<{ server_id: string }>(sql`
    select distinct b.server_id from backups b
    where b.deleted_at is not null and b.archive_settled_at is null
      and not exists (select 1 from operations o where o.server_id = b.server_id and o.kind not in (${readOnlyKind})
        and (o.status in (${liveOperation}) or (o.kind = 'backup_delete' and o.status = 'failed' and o.updated_at > now() - interval '5 minutes')))
    limit ${limit}`);
  return rows.map((r) => r.server_id);
}
