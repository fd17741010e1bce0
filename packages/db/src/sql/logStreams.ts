import { sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "../client";
import { WORK_CHANNEL } from "./channels";
import { readOnlyKind } from "./statusLists";
import { insertTaskOperation, lockServerForTask, queueTaskLocked } from "./taskOperations";

/**
 * A live view of a console log costs one `logs` operation row for its whole
 * life: the row is queued, leased, answered, then queued again in place for
 * the next read (a new lease, so a new fencing token: a late answer to an
 * earlier read is refused), and deleted when the view ends. A stream's row
 * carries `params.streamClient` (the API client that opened it), which is
 * what the caps count. Rows a dead control plane left behind are swept
 * (sweepLogReads) once untouched for `staleAfterMs`, and stop counting
 * against the caps then even before the sweep: a crashed control plane holds
 * its clients' slots for at most that long.
 */
export interface LogStreamCaps {
  perClient: number;
  perServer: number;
  /** A stream's row untouched this long belongs to a stream that is gone. */
  staleAfterMs: number;
}

export type LogStreamOpened = { opId: string } | { refused: "client" | "server"; open: number } | { gone: true };

/** What a log read asks the agent for: the last `tail` lines, or what follows byte `offset`. */
export type LogWant = { tail: number } | { offset: number };

/**
 * Opens a stream's row if the client and the server are both under their
 * caps. Opens are serialised by one transaction-scoped advisory lock (across
 * every control-plane process: the count and the insert cannot interleave
 * with another open's), so a cap holds however many open at once. Must run
 * in a transaction.
 */
export async function openLogStream(
  tx: DbOrTx,
  serverId: string,
  streamId: string,
  client: string,
  want: LogWant,
  caps: LogStreamCaps,
): Promise<LogStreamOpened> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('zlh:log_streams', 0))`);
  const [n] = await tx.execute<{ by_client: number; by_server: number }>(sql`
    select count(*) filter (where params->>'streamClient' = ${client})::int as by_client,
      count(*) filter (where server_id = ${serverId})::int as by_server
    from operations
    where kind = 'logs' and params->>'streamClient' is not null and params->>'ended' is null
      and updated_at > now() - ${caps.staleAfterMs} * interval '1 millisecond'`);
  if (n!.by_server >= caps.perServer) return { refused: "server", open: n!.by_server };
  if (n!.by_client >= caps.perClient) return { refused: "client", open: n!.by_client };
  const opId = await insertTaskOperation(tx, serverId, "logs", streamId, { ...want, streamClient: client }, 1);
  return opId ? { opId } : { gone: true };
}

/**
 * Queues the stream's row again for its next read, in place (attempts start
 * over, the result is cleared) and wakes the host's agent. Only a row that
 * has been answered, on a server that is not deleted or being deleted.
 * Returns false when there is nothing to requeue: the server is going, or
 * the row was swept.
 */
export async function requeueLogRead(db: DbOrTx, opId: string, want: LogWant): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    update operations o set status = 'queued', attempt = 0, result = null, error = null, not_before = null,
      params = (o.params - 'tail' - 'offset') || ${JSON.stringify(want)}::jsonb, updated_at = now()
    from servers s
    where o.id = ${opId} and o.kind = 'logs' and o.status in ('succeeded', 'failed') and o.params->>'ended' is null
      and s.id = o.server_id and s.status <> 'deleted' and s.desired_state <> 'deleted'
    returning o.id, pg_notify(${WORK_CHANNEL}, o.host_id::text)`);
  return rows.length > 0;
}

/**
 * A read's row is no longer wanted: deleted, unless the agent holds it right
 * now (its answer then finds no row or a refused one); such a row is marked
 * ended, counts no more, and is deleted when its answer arrives or its lease
 * is taken back (removeEndedLogRead), the sweep being the net under both.
 */
export async function endLogRead(db: DbOrTx, opId: string): Promise<void> {
  await db.execute(sql`
    with gone as (
      delete from operations where id = ${opId} and kind in (${readOnlyKind}) and status <> 'leased' returning id
    )
    update operations set params = params || '{"ended": true}'::jsonb
    where id = ${opId} and kind in (${readOnlyKind}) and not exists (select 1 from gone)`);
}

/**
 * Deletes `logs` rows nobody waits for: ended ones no longer held by an
 * agent, and any untouched for `staleAfterMs` (a control plane died with
 * the stream open; rows from before streams reused their row). At most
 * `batch` rows a statement, rows another sweeper holds skipped; returns how
 * many went.
 */
export async function sweepLogReads(db: DbOrTx, staleAfterMs: number, batch = 5000): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    delete from operations where id in (
      select id from operations
      where kind in (${readOnlyKind}) and status <> 'leased'
        and (params->>'ended' is not null or updated_at < now() - ${staleAfterMs} * interval '1 millisecond')
      limit ${batch}
      for update skip locked)
    returning id`);
  return rows.length;
}

/** An ended read's answer arrived (or its last lease expired): nobody waits for it, so its row goes now. */
export async function removeEndedLogRead(db: DbOrTx, opId: string): Promise<void> {
  await db.execute(sql`delete from operations where id = ${opId} and kind in (${readOnlyKind}) and params->>'ended' is not null and status <> 'leased'`);
}

/**
 * Opens a download's row (a `backup_read` of its first chunk) if the server
 * has fewer than `perServer` downloads open, counted like log streams (under
 * one advisory lock, rows untouched for `staleAfterMs` not counted). A
 * deleted server's backups can be downloaded too. Must run in a transaction.
 */
export async function openBackupDownload(
  tx: Tx,
  serverId: string,
  readId: string,
  want: { backupId: string; offset: number; length: number },
  caps: { perServer: number; staleAfterMs: number },
): Promise<{ opId: string } | { refused: number } | { gone: true }> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('zlh:backup_downloads', 0))`);
  const [n] = await tx.execute<{ open: number }>(sql`
    select count(*)::int as open from operations
    where kind = 'backup_read' and server_id = ${serverId} and params->>'ended' is null
      and updated_at > now() - ${caps.staleAfterMs} * interval '1 millisecond'`);
  if (n!.open >= caps.perServer) return { refused: n!.open };
  if (!(await lockServerForTask(tx, serverId, true))) return { gone: true };
  const opId = await queueTaskLocked(tx, serverId, "backup_read", readId, want, 1);
  return opId ? { opId } : { gone: true };
}

/** The download's next chunk: its row queued again in place from `offset` (false once it was swept). */
export async function requeueBackupRead(db: DbOrTx, opId: string, offset: number): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    update operations set status = 'queued', attempt = 0, result = null, error = null, not_before = null,
      params = params || jsonb_build_object('offset', ${offset}::bigint), updated_at = now()
    where id = ${opId} and kind = 'backup_read' and status in ('succeeded', 'failed') and params->>'ended' is null
    returning id, pg_notify(${WORK_CHANNEL}, host_id::text)`);
  return rows.length > 0;
}
