import { sql } from "drizzle-orm";
import { allowedSources, boundedReason, type ServerStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";

export interface TransitionOptions {
  /** Only move if the server is still at this generation (a newer intent wins). */
  generation?: number;
  failureReason?: string | null;
  /** Extra data for the `server.status_changed` event. */
  data?: Record<string, unknown>;
  /** The operation whose result made the move: the event's top-level `operationId`, as on every event. */
  operationId?: string | null;
  /** A second event recorded if and only if this call makes the move (e.g. `server.running` once per start). */
  alsoRecord?: { type: string; operationId?: string | null; data?: Record<string, unknown> };
}

/**
 * The only writer of `servers.status`. Moves the server to `to` if and only if
 * the state machine allows it from the status it has at that instant (a
 * conditional UPDATE, so two racing writers cannot both win), and records
 * `server.status_changed` in the same statement. Returns the updated row, or
 * null when the move was not allowed (or the generation moved on).
 */
export async function transitionServer(
  tx: DbOrTx,
  serverId: string,
  to: ServerStatus,
  options: TransitionOptions = {},
): Promise<ServerRow | null> {
  const from = allowedSources(to);
  const generation = options.generation ?? null;
  const also = options.alsoRecord;
  // A resolution's reason may echo an upstream's text: the column and the event keep it bounded.
  const failureReason = options.failureReason ? boundedReason(options.failureReason) : null;
  const rows = await tx.execute<ServerRow & { previous_status: ServerStatus }>(sql`
    with prev as (
      select id, status from servers where id = ${serverId} for update
    ), moved as (
      update servers s set
        status = ${to}::text,
        failure_reason = case when ${to}::text = 'failed' then ${failureReason}::text else null end,
        status_changed_at = now(),
        updated_at = now()
      from prev
      where s.id = prev.id
        and prev.status = any(${sql.raw(`array[${from.map((f) => `'${f}'`).join(",") || "''"}]::text[]`)})
        and (${generation}::int is null or s.generation = ${generation}::int)
      returning s.*, prev.status as previous_status
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select id, host_id, ${options.operationId ?? null}::uuid, 'server.status_changed',
        -- The transition's own facts are merged last, so no caller-supplied data can rewrite them.
        ${JSON.stringify({ ...options.data, ...(failureReason ? { reason: failureReason } : {}) })}::jsonb
          || jsonb_build_object('from', previous_status, 'to', status, 'generation', generation)
      from moved
      union all
      select id, host_id, ${also?.operationId ?? null}::uuid, ${also?.type ?? null}::text, ${JSON.stringify(also?.data ?? {})}::jsonb
      from moved where ${also?.type ?? null}::text is not null
    )
    select * from moved`);
  return rows[0] ?? null;
}

/**
 * A restore stopped and started the server without changing its status:
 * evidence taken before now (a host inventory showing it stopped during the
 * restore) must not be judged as a crash, so the evidence clock restarts.
 */
export async function restartEvidenceClock(tx: DbOrTx, serverId: string): Promise<void> {
  await tx.execute(sql`update servers set status_changed_at = now() where id = ${serverId}`);
}
