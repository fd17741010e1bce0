import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { OperationRow } from "../rows";
import { OP_COLUMNS } from "./operationColumns";
import { WORK_CHANNEL } from "./channels";
import { retryNotBefore } from "./retryBackoff";
import { readOnlyKind } from "./statusLists";

/** An operation whose lease expired: queued again, or failed once out of attempts. */
export type ExpiredLease = OperationRow & { status: "queued" | "failed" };

/** Why the lease ended, from the operation's row before the update (`o`) and how long it was held (`expired.held_ms`). */
const leaseExpiredReason = sql`'lease_expired: host ' || o.host_id || ' sent no result within ' || round(expired.held_ms / 1000.0)
  || ' s of taking the lease (attempt ' || o.attempt || ' of ' || o.max_attempts
  || case when o.attempt >= o.max_attempts then ', none left)' else ', retried)' end`;

/**
 * Takes back every lease whose expiry has passed, in one statement: the
 * operation returns to the queue after a backoff (`op.lease_expired`, and the
 * host's agent is woken) or, once it has used all its attempts, fails (`op.failed`). The
 * token is left as it was; the next grant draws a new, larger one. Safe to
 * run from every control-plane process at once (SKIP LOCKED). The reason
 * (which host, how long it held the lease, which attempt) is in the event's `error`, the
 * server's `lastError` while the operation is retried, and the operation's error once it fails.
 */
export async function expireLeases(db: DbOrTx): Promise<ExpiredLease[]> {
  return db.execute<ExpiredLease>(sql`
    with expired as (
      -- updated_at is the grant's (or the reclaim's) time: heartbeats renew the lease without touching it.
      select id, round(extract(epoch from now() - updated_at) * 1000)::bigint as held_ms
      from operations
      where status = 'leased' and lease_expires_at < now()
      for update skip locked
    ), moved as (
      update operations o set
        status = case when o.attempt >= o.max_attempts then 'failed' else 'queued' end,
        error = case when o.attempt >= o.max_attempts then ${leaseExpiredReason} else o.error end,
        not_before = case when o.attempt < o.max_attempts then ${retryNotBefore(sql`o.attempt`)} end,
        lease_session_id = null,
        lease_expires_at = null,
        updated_at = now()
      from expired where o.id = expired.id
      returning o.*, ${leaseExpiredReason} as reason, expired.held_ms
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, case when status = 'failed' then 'op.failed' else 'op.lease_expired' end,
        jsonb_build_object('kind', kind, 'token', lease_token::text, 'attempt', attempt, 'maxAttempts', max_attempts,
          'hostId', host_id::text, 'heldMs', held_ms, 'error', reason)
      from moved
      -- A log read leaves no events (a live view reads every second), an expired one neither.
      where kind not in (${readOnlyKind})
    ), server_told as (
      -- One update of the server (two in one statement would drop one): the lease ended, so what it reported
      -- is over (the next attempt reports its own); a requeue says why on the server (lastError) until the work
      -- ends, a failure says it in failureReason instead.
      update servers s set
        progress = case when s.progress->>'opId' = moved.id::text then null else s.progress end,
        last_error = case
          when moved.kind in (${readOnlyKind}) then s.last_error
          when moved.status = 'queued' then jsonb_build_object('code', 'lease_expired', 'message', moved.reason, 'url', null, 'at', now())
          when s.last_error->>'code' = 'lease_expired' then null
          else s.last_error end
      from moved where s.id = moved.server_id
        and (s.progress->>'opId' = moved.id::text or moved.kind not in (${readOnlyKind}))
    )
    select ${OP_COLUMNS},
      case when status = 'queued' then pg_notify(${WORK_CHANNEL}, host_id::text) end as notified
    from moved`);
}
