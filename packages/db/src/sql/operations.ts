import { sql } from "drizzle-orm";
import type { OperationKind } from "@zlh/domain";
import type { DbOrTx } from "../client";
import type { OperationRow, ServerRow } from "../rows";
import { WORK_CHANNEL } from "./channels";
import { OP_COLUMNS } from "./operationColumns";
import { liveOperation, readOnlyKind } from "./statusLists";

/** The server row, locked for the rest of the transaction: convergence of one server is serialised here. */
export async function lockServer(tx: DbOrTx, serverId: string): Promise<(ServerRow & { heal_pending: boolean; edge_removal_pending: boolean }) | null> {
  const rows = await tx.execute<ServerRow & { heal_pending: boolean; edge_removal_pending: boolean }>(
    sql`select *, coalesce(heal_after > now(), false) as heal_pending, coalesce(edge_hold_until > now(), false) as edge_removal_pending from servers where id = ${serverId} for update`,
  );
  return rows[0] ?? null;
}

export async function liveOperations(tx: DbOrTx, serverId: string): Promise<OperationRow[]> {
  return tx.execute<OperationRow>(
    sql`select ${OP_COLUMNS} from operations where server_id = ${serverId} and status in (${liveOperation}) order by created_at`,
  );
}

/**
 * The latest intent wins: queued operations planned for an older generation
 * are cancelled (`op.cancelled`). Leased ones are left to finish or expire;
 * their results still fence on their token. Returns how many operations are
 * still in flight for the server afterwards (queued or leased), counted in
 * the same statement: run it while holding the server's lock (lockServer),
 * so its snapshot already holds every operation a previous holder planned.
 */
export async function cancelOutdatedOperations(tx: DbOrTx, serverId: string, generation: number): Promise<{ cancelled: number; inFlight: number }> {
  const [row] = await tx.execute<{ cancelled: number; in_flight: number }>(sql`
    with cancelled as (
      update operations set status = 'cancelled', updated_at = now()
      -- Task operations (generation below zero) belong to no intent: a newer one does not cancel them.
      where server_id = ${serverId} and status = 'queued' and generation < ${generation} and generation > 0
      returning id, server_id, host_id, kind, generation
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.cancelled', jsonb_build_object('kind', kind, 'generation', generation, 'supersededBy', ${generation}::int)
      from cancelled
    )
    select
      (select count(*)::int from cancelled) as cancelled,
      -- The statement's snapshot still shows the rows just cancelled as queued.
      (select count(*)::int from operations
        where server_id = ${serverId} and status in (${liveOperation}) and kind not in (${readOnlyKind}) and id not in (select id from cancelled)) as in_flight`);
  return { cancelled: row!.cancelled, inFlight: row!.in_flight };
}

/**
 * Plans one operation for the server's current generation and wakes its
 * host's agent (NOTIFY is delivered on commit). The unique index on
 * (server, generation, kind) makes a second plan of the same step a no-op,
 * however many times or however concurrently it is attempted. Returns the new
 * operation's id, or null when that step already exists.
 */
export async function insertOperation(tx: DbOrTx, s: ServerRow, kind: OperationKind, vmid = s.vmid, hostId = s.host_id): Promise<string | null> {
  const rows = await tx.execute<{ id: string }>(sql`
    with op as (
      insert into operations (server_id, host_id, generation, kind, vmid)
      values (${s.id}, ${hostId}, ${s.generation}, ${kind}, ${vmid})
      on conflict (server_id, generation, kind) do nothing
      returning id, server_id, host_id, generation, kind
    ), event as (
      insert into events (server_id, host_id, operation_id, type, data)
      select server_id, host_id, id, 'op.queued', jsonb_build_object('kind', kind, 'generation', generation)
      from op
    )
    select op.id, pg_notify(${WORK_CHANNEL}, op.host_id::text) from op`);
  return rows[0]?.id ?? null;
}
