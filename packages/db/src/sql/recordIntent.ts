import { sql } from "drizzle-orm";
import { boundedReason, type DesiredState } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";
import { liveOperation, readOnlyKind } from "./statusLists";

/**
 * Records a change of intent: sets the desired state and bumps the generation
 * (so work planned for an older intent is fenced off), with a `server.intent`
 * event, in one statement. A deleted server's intent can no longer change.
 */
export async function recordIntent(
  tx: DbOrTx,
  serverId: string,
  desired: DesiredState,
  action: string,
  options: { wipe?: boolean } = {},
): Promise<ServerRow | null> {
  const wipe = options.wipe ?? false;
  const rows = await tx.execute<ServerRow>(sql`
    with changed as (
      update servers set desired_state = ${desired}, generation = generation + 1, updated_at = now(),
        restart_generation = case when ${action}::text = 'restart' then generation + 1 else restart_generation end,
        reinstall_generation = case when ${action}::text = 'reinstall' then generation + 1 else reinstall_generation end,
        reinstall_wipe = case when ${action}::text = 'reinstall' then ${wipe}::boolean else reinstall_wipe end
      where id = ${serverId} and status <> 'deleted' and desired_state <> 'deleted'
      returning *
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.intent',
        jsonb_build_object('action', ${action}::text, 'desiredState', desired_state, 'generation', generation)
          || case when ${action}::text = 'reinstall' then jsonb_build_object('wipe', ${wipe}::boolean) else '{}'::jsonb end
      from changed
    )
    select * from changed`);
  return rows[0] ?? null;
}

/**
 * A repeated DELETE of a server whose destroy used up its attempts (it stays
 * `deleting`, holding its resources, never "deleted on hope"): a new
 * generation, so that convergence plans a fresh destroy. Nothing happens
 * while a destroy is still queued or leased (a log read does not count).
 */
export async function redriveDelete(tx: DbOrTx, serverId: string): Promise<ServerRow | null> {
  const rows = await tx.execute<ServerRow>(sql`
    with changed as (
      update servers s set generation = generation + 1, failure_reason = null, updated_at = now()
      where id = ${serverId} and status = 'deleting' and desired_state = 'deleted'
        -- A log read in flight is no destroy: it must not delay the redrive.
        and not exists (select 1 from operations o where o.server_id = s.id and o.status in (${liveOperation}) and o.kind not in (${readOnlyKind}))
      returning *
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.intent', jsonb_build_object('action', 'delete', 'desiredState', desired_state, 'generation', generation, 'redrive', true)
      from changed
    )
    select * from changed`);
  return rows[0] ?? null;
}

/**
 * A destroy that failed for good (attempts used up, or refused): the server
 * stays `deleting` and holding its resources, with the reason shown as its
 * `failureReason` and a `server.destroy_failed` event, until a repeated
 * DELETE re-drives it (redriveDelete) or reconciliation sees it gone.
 */
export async function reportDestroyFailed(tx: DbOrTx, serverId: string, operationId: string, said: string): Promise<void> {
  const reason = boundedReason(said);
  await tx.execute(sql`
    with s as (
      update servers set failure_reason = ${`destroy_failed: ${reason}`}, updated_at = now()
      where id = ${serverId} and status = 'deleting'
      returning id, host_id
    )
    insert into events (server_id, host_id, operation_id, type, data)
    select id, host_id, ${operationId}::uuid, 'server.destroy_failed', jsonb_build_object('reason', ${reason}::text) from s`);
}
