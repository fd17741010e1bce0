import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";
import type { OperationRow } from "../rows";
import { OP_COLUMNS } from "./operationColumns";
import { WORK_CHANNEL } from "./channels";
import { retryNotBefore } from "./retryBackoff";
import { readOnlyKind } from "./statusLists";

/** An operation whose lease expired: queued again, or failed once out of attempts. */
export type ExpiredLease = OperationRow & { status: "queued" | "failed" };

/**
 * Takes back every lease whose expiry has passed, in one statement: the
 * operation returns to the queue after a backoff (`op.lease_expired`, and the
 * host's agent is woken) or, once it has used all its attempts, fails (`op.failed`). The
 * token is left as it was; the next grant draws a new, larger one. Safe to
 * run from every control-plane process at once (SKIP LOCKED).
 */
export async function expireLeases(db: DbOrTx): Promise<ExpiredLease[]> {
  return db.execute<ExpiredLease>(sql`
    with expired as (
      select id from operations
      where status = 'leased' and lease_expires_at < now()
      for update skip locked
    ), moved as (
      update operations o set
        status = case when o.attempt >= o.max_attempts then 'failed' else 'queued' end,
        error = case when o.attempt >= o.max_attempts
          then 'lease_expired: no result after ' || o.attempt || ' attempts' else o.error end,
        not_before = case when o.attempt < o.max_attempts then ${retryNotBefore(sql`o.attempt`)} end,
        lease_session_id = null,
        lease_expires_at = null,
        updated_at = now()
      from expired where o.id = expired.id
      returning o.*
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, case when status = 'failed' then 'op.failed' else 'op.lease_expired' end,
        jsonb_build_object('kind', kind, 'token', lease_token::text, 'attempt', attempt)
      from moved
      -- A log read leaves no events (a live view reads every second), an expired one neither.
      where kind not in (${readOnlyKind})
    ), progress_ended as (
      -- The lease ended: what it reported is over (the next attempt reports its own).
      update servers s set progress = null from moved where s.id = moved.server_id and s.progress->>'opId' = moved.id::text
    )
    select ${OP_COLUMNS},
      case when status = 'queued' then pg_notify(${WORK_CHANNEL}, host_id::text) end as notified
    from moved`);
}
