// Copied from 2e9bd19:packages/db/src/sql/taskOperations.ts by refresh.sh; do not edit.
import { sql } from "drizzle-orm";
import type { TaskKind } from "@zlh/domain";
import type { DbOrTx } from "../../../src/client";
import type { OperationRow } from "../../../src/rows";
import { WORK_CHANNEL } from "./channels";
import { OP_COLUMNS } from "./operationColumns";

/**
 * Where a task operation (a console command, a backup, a restore) is queued,
 * in one statement: only on a server that is not deleted and has nothing
 * queued or leased (one live operation per server, so a task never runs
 * beside a lifecycle step, nor two tasks together), with a generation of its
 * own below zero (it belongs to no intent and is never cancelled by one), an
 * `op.queued` event, and the host's agent woken. Returns the operation's id,
 * or null when the server is busy or gone.
 */
export async function insertTaskOperation(
  tx: DbOrTx,
  serverId: string,
  kind: TaskKind,
  subjectId: string,
  params: Record<string, unknown>,
  maxAttempts: number,
): Promise<string | null> {
  const rows = await tx.execute<{ id: string }>(sql`
    with s as (
      select id, host_id, vmid from servers where id = ${serverId} and status <> 'deleted' and desired_state <> 'deleted' for update
    ), op as (
      insert into operations (server_id, host_id, generation, kind, vmid, subject_id, params, max_attempts)
      select s.id, s.host_id, -nextval('task_generation_seq')::int, ${kind}, s.vmid, ${subjectId}, ${JSON.stringify(params)}::jsonb, ${maxAttempts}
      from s
      -- A read (logs) runs beside anything; anything else only on an idle server (reads do not count).
      where ${kind}::text = 'logs'
        or not exists (select 1 from operations o where o.server_id = s.id and o.status in ('queued', 'leased') and o.kind <> 'logs')
      returning id, server_id, host_id, kind
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.queued', jsonb_build_object('kind', kind, 'subjectId', ${subjectId}::text) from op where kind <> 'logs'
    )
    select op.id, pg_notify(${WORK_CHANNEL}, op.host_id::text) from op`);
  return rows[0]?.id ?? null;
}

export async function getOperation(db: DbOrTx, id: string): Promise<OperationRow | null> {
  const [row] = await db.execute<OperationRow>(sql`select ${OP_COLUMNS} from operations where id = ${id}`);
  return row ?? null;
}
