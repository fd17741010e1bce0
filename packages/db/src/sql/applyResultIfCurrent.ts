import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { OperationRow } from "../rows";
import { WORK_CHANNEL } from "./channels";
import { OP_COLUMNS } from "./operationColumns";
import { retryNotBefore } from "./retryBackoff";
import { readOnlyKind } from "./statusLists";

export interface ReportedResult {
  opId: string;
  token: string;
  outcome: "succeeded" | "failed";
  retryable?: boolean;
  error?: { code: string; message: string };
  data?: Record<string, unknown>;
}

export type ResultVerdict =
  | { verdict: "applied"; op: OperationRow }
  | { verdict: "duplicate" }
  | { verdict: "rejected"; currentToken: string | null; status: string | null };


/**
 * Where a result is fenced. Applies the agent's result only if `token` is the
 * operation's current fencing token and the operation is still leased to this
 * host: one conditional UPDATE, so a stale holder (an agent that was paused
 * past its lease, a zombie after a restart) can never overwrite the work of
 * the current one. A retryable failure requeues the operation while attempts
 * remain, after a backoff (retryBackoff.ts). The same result delivered twice
 * is a `duplicate` (no-op); any other mismatch is `rejected` and recorded as
 * `op.result_rejected`.
 * Must run in the caller's transaction with the result's effects.
 */
export async function applyResultIfCurrent(tx: DbOrTx, hostId: string, r: ReportedResult): Promise<ResultVerdict> {
  const errorText = r.error ? `${r.error.code}: ${r.error.message}` : null;
  // The update, its event and (for a requeue) the agent's wake-up in one statement.
  const [applied] = await tx.execute<OperationRow>(sql`
    with applied as (
      update operations set
        status = case
          when ${r.outcome}::text = 'succeeded' then 'succeeded'
          when ${r.retryable ?? false}::boolean and attempt < max_attempts then 'queued'
          else 'failed' end,
        result = ${r.data === undefined ? null : JSON.stringify(r.data)}::jsonb,
        error = ${errorText}::text,
        not_before = case when ${r.outcome}::text <> 'succeeded' and ${r.retryable ?? false}::boolean and attempt < max_attempts
          then ${retryNotBefore(sql`attempt`)} end,
        lease_session_id = null,
        lease_expires_at = null,
        updated_at = now()
      where id = ${r.opId} and host_id = ${hostId} and status = 'leased' and lease_token = ${r.token}::bigint
      returning ${OP_COLUMNS}
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id,
        case status when 'succeeded' then 'op.completed' when 'queued' then 'op.retry_queued' else 'op.failed' end,
        jsonb_build_object('kind', kind, 'token', ${r.token}::text, 'attempt', attempt, 'error', ${errorText}::text)
      from applied where kind not in (${readOnlyKind})
    ), server_told as (
      -- One update of the server: what the lease reported is over; an expired lease's lastError ends with the work.
      update servers s set
        progress = case when s.progress->>'opId' = applied.id::text then null else s.progress end,
        last_error = case when applied.status <> 'queued' and s.last_error->>'code' = 'lease_expired' then null else s.last_error end
      from applied where s.id = applied.server_id
        and (s.progress->>'opId' = applied.id::text or (applied.status <> 'queued' and s.last_error->>'code' = 'lease_expired'))
    )
    select applied.* from applied
    left join lateral (select pg_notify(${WORK_CHANNEL}, applied.host_id::text) where applied.status = 'queued') wake on true`);
  if (applied) return { verdict: "applied", op: applied };
  const [current] = await tx.execute<{ lease_token: string | null; status: string; host_id: string; server_id: string }>(
    sql`select lease_token::text as lease_token, status, host_id, server_id from operations where id = ${r.opId}`,
  );
  const sameHost = current?.host_id === hostId;
  if (sameHost && current.lease_token === r.token && (current.status === "succeeded" || current.status === "failed")) {
    return { verdict: "duplicate" };
  }
  await tx.execute(sql`
    insert into events (server_id, host_id, operation_id, type, data)
    values (${sameHost ? current.server_id : null}, ${hostId}, ${sameHost ? r.opId : null}, 'op.result_rejected',
      jsonb_build_object('opId', ${r.opId}::text, 'token', ${r.token}::text, 'outcome', ${r.outcome}::text,
        'currentToken', ${sameHost ? current.lease_token : null}::text, 'status', ${sameHost ? current.status : null}::text))`);
  return { verdict: "rejected", currentToken: sameHost ? current.lease_token : null, status: current?.status ?? null };
}
