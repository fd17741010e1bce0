import { sql } from "drizzle-orm";
import type { OperationKind, OperationStatus } from "@zlh/domain";
import type { DbOrTx } from "../client";

/** An operation as GET /v1/operations/:id shows it: no lease token, no params (a command line, a key), no session. */
export type OperationRecord = {
  id: string;
  server_id: string;
  host_id: string;
  generation: number;
  kind: OperationKind;
  status: OperationStatus;
  attempt: number;
  max_attempts: number;
  lease_expires_at: string | null;
  result: unknown;
  error: string | null;
  created_at: string;
  updated_at: string;
};

export async function getOperationRecord(db: DbOrTx, id: string): Promise<OperationRecord | null> {
  const [row] = await db.execute<OperationRecord>(sql`
    select id, server_id, host_id, generation, kind, status, attempt, max_attempts, lease_expires_at, result, error, created_at, updated_at
    from operations where id = ${id}`);
  return row ?? null;
}
