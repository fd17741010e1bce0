import { sql } from "drizzle-orm";
import type { DesiredState } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { ServerRow } from "../rows";

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
): Promise<ServerRow | null> {
  const rows = await tx.execute<ServerRow>(sql`
    with changed as (
      update servers set desired_state = ${desired}, generation = generation + 1, updated_at = now(),
        restart_generation = case when ${action}::text = 'restart' then generation + 1 else restart_generation end
      where id = ${serverId} and status <> 'deleted' and desired_state <> 'deleted'
      returning *
    ), event as (
      insert into events (server_id, host_id, type, data)
      select id, host_id, 'server.intent',
        jsonb_build_object('action', ${action}::text, 'desiredState', desired_state, 'generation', generation)
      from changed
    )
    select * from changed`);
  return rows[0] ?? null;
}
