import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export interface ReportedProgress {
  opId: string;
  token: string;
  phase: string;
  done?: number;
  total?: number;
  bytesDone?: number;
  bytesTotal?: number;
}

/**
 * An agent's progress of a leased operation, kept on its server (`servers.progress`, stamped now) only while
 * `token` is the operation's current lease on this host: a stale holder's report is dropped (false). A
 * change of phase is also recorded as a `server.progress` event; byte and file counts within a phase are
 * not (the feed stays small). Never touches a status.
 */
export async function recordProgress(db: DbOrTx, hostId: string, p: ReportedProgress): Promise<boolean> {
  const value = JSON.stringify({ opId: p.opId, phase: p.phase, done: p.done ?? null, total: p.total ?? null, bytesDone: p.bytesDone ?? null, bytesTotal: p.bytesTotal ?? null });
  const rows = await db.execute<{ id: string }>(sql`
    with op as (
      select id, server_id, host_id, kind from operations
      where id = ${p.opId} and host_id = ${hostId} and status = 'leased' and lease_token = ${p.token}::bigint and lease_expires_at > now()
    ), before as (
      select s.id, s.progress from servers s join op on s.id = op.server_id where s.status <> 'deleted' for update of s
    ), updated as (
      update servers s set progress = ${value}::jsonb || jsonb_build_object('at', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      from before where s.id = before.id
      returning s.id
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select op.server_id, op.host_id, op.id, 'server.progress', jsonb_build_object('kind', op.kind, 'phase', ${p.phase}::text, 'done', ${p.done ?? null}::int, 'total', ${p.total ?? null}::int, 'bytesDone', ${p.bytesDone ?? null}::int8, 'bytesTotal', ${p.bytesTotal ?? null}::int8)
      from op join before on before.id = op.server_id
      where before.progress is null or before.progress->>'opId' is distinct from op.id::text or before.progress->>'phase' is distinct from ${p.phase}::text
    )
    select id from updated`);
  return rows.length > 0;
}
