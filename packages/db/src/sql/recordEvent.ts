import { sql } from "drizzle-orm";
import type { EventType } from "@zlh/domain";
import type { DbOrTx } from "../client";

export interface NewEvent {
  type: EventType;
  serverId?: string | null;
  hostId?: string | null;
  operationId?: string | null;
  data?: Record<string, unknown>;
}

/** Appends to the audit trail; joins the caller's transaction so an event exists iff its change does. */
export async function recordEvent(tx: DbOrTx, e: NewEvent): Promise<void> {
  await tx.execute(sql`
    insert into events (type, server_id, host_id, operation_id, data)
    values (${e.type}, ${e.serverId ?? null}, ${e.hostId ?? null}, ${e.operationId ?? null},
            ${JSON.stringify(e.data ?? {})}::jsonb)`);
}
