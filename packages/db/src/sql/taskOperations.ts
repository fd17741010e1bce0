import { sql } from "drizzle-orm";
import type { TaskKind } from "@zlh/domain";
import type { DbOrTx, Tx } from "../client";
import type { OperationRow } from "../rows";
import { WORK_CHANNEL } from "./channels";
import { inTransaction } from "./inTransaction";
import { OP_COLUMNS } from "./operationColumns";
import { liveOperation, readOnlyKind } from "./statusLists";

/**
 * Task operations' generations are below zero (no intent's) and unique per
 * server: each new one is one below the server's lowest, counted from
 * TASK_GENERATION_FLOOR down. The release before took them from a global
 * sequence (`-nextval('task_generation_seq')::int`, which overflows after
 * 2^31 tasks fleet-wide); its values stay above the floor (fewer than 2^30
 * tasks were ever queued by it), so the two schemes never collide during a
 * rolling upgrade, and a server can have 2^30 - 1 tasks of its own.
 */
export const TASK_GENERATION_FLOOR = -(2 ** 30);

/**
 * Where a task operation (a console command, a backup, a restore, a log
 * read) is queued: only on a server that is not deleted and has nothing
 * queued or leased (one live operation per server, so a task never runs
 * beside a lifecycle step, nor two tasks together; a log read runs beside
 * anything), an `op.queued` event, and the host's agent woken. Returns the
 * operation's id, or null when the server is busy or gone.
 */
export async function insertTaskOperation(
  db: DbOrTx,
  serverId: string,
  kind: TaskKind,
  subjectId: string,
  params: Record<string, unknown>,
  maxAttempts: number,
): Promise<string | null> {
  return inTransaction(db, async (tx) => {
    if (!(await lockServerForTask(tx, serverId, false))) return null;
    return queueTaskLocked(tx, serverId, kind, subjectId, params, maxAttempts);
  });
}

/**
 * The server's row lock, in a statement of its own: under READ COMMITTED the
 * next statement takes a new snapshot, so it sees every operation a previous
 * holder of the lock committed (a check in the locking statement itself
 * would read the snapshot taken before the wait, and let two tasks in).
 * `deletedToo` admits a deleted server (removing its backups' archives).
 */
export async function lockServerForTask(tx: Tx, serverId: string, deletedToo: boolean): Promise<boolean> {
  const rows = await tx.execute<{ id: string }>(sql`
    select s.id from servers s join hosts h on h.id = s.host_id
    where s.id = ${serverId} and h.revoked_at is null
      and (${deletedToo}::boolean or (s.status <> 'deleted' and s.desired_state <> 'deleted'))
    for update of s`);
  return rows.length > 0;
}

/**
 * Queues the task on a server locked by lockServerForTask. The partial
 * unique index operations_one_live_task_key is the rule behind "one task at
 * a time" (a writer that took no lock, such as the previous release's, meets
 * it as a conflict, and nothing is written); the `not exists` adds that no
 * lifecycle step is live.
 */
export async function queueTaskLocked(
  tx: Tx,
  serverId: string,
  kind: TaskKind,
  subjectId: string,
  params: Record<string, unknown>,
  maxAttempts: number,
): Promise<string | null> {
  const rows = await tx.execute<{ id: string }>(sql`
    with s as (
      select id, host_id, vmid from servers where id = ${serverId}
    ), gen as (
      select coalesce(min(generation), ${TASK_GENERATION_FLOOR}::int) - 1 as g
      from operations where server_id = ${serverId} and generation < ${TASK_GENERATION_FLOOR}::int
    ), op as (
      insert into operations (server_id, host_id, generation, kind, vmid, subject_id, params, max_attempts)
      select s.id, s.host_id, gen.g, ${kind}, s.vmid, ${subjectId}, ${JSON.stringify(params)}::jsonb, ${maxAttempts}
      from s, gen
      -- A read (logs) runs beside anything; anything else only on an idle server (reads do not count).
      where ${kind}::text in (${readOnlyKind})
        or not exists (select 1 from operations o where o.server_id = s.id and o.status in (${liveOperation}) and o.kind not in (${readOnlyKind}))
      on conflict do nothing
      returning id, server_id, host_id, kind
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.queued', jsonb_build_object('kind', kind, 'subjectId', ${subjectId}::text) from op where kind not in (${readOnlyKind})
    )
    select op.id, pg_notify(${WORK_CHANNEL}, op.host_id::text) from op`);
  return rows[0]?.id ?? null;
}

export async function getOperation(db: DbOrTx, id: string): Promise<OperationRow | null> {
  const [row] = await db.execute<OperationRow>(sql`select ${OP_COLUMNS} from operations where id = ${id}`);
  return row ?? null;
}
