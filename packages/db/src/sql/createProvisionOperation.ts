import { sql } from "drizzle-orm";
import type { DbOrTx } from "../client";

export const WORK_CHANNEL = "zlh_work";

/**
 * Turns a pending server into its provision operation, once: the unique index
 * on (server, generation, kind) makes a second insert a no-op however many
 * times (or how concurrently) the job runs. Records `op.queued` and wakes the
 * host's agent (NOTIFY is delivered on commit) only when it inserted.
 * Returns the new operation's id, or null if there was nothing to do.
 */
export async function createProvisionOperation(tx: DbOrTx, serverId: string): Promise<string | null> {
  const rows = await tx.execute<{ id: string }>(sql`
    with op as (
      insert into operations (server_id, host_id, generation, kind)
      select id, host_id, generation, 'provision' from servers
      where id = ${serverId} and status = 'pending' and desired_state = 'running'
      on conflict (server_id, generation, kind) do nothing
      returning id, server_id, host_id, generation
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.queued', jsonb_build_object('kind', 'provision', 'generation', generation)
      from op
    )
    select op.id, pg_notify(${WORK_CHANNEL}, op.host_id::text) from op`);
  return rows[0]?.id ?? null;
}
