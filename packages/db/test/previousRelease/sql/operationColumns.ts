// Copied from 2e9bd19:packages/db/src/sql/operationColumns.ts by refresh.sh; do not edit.
import { sql } from "drizzle-orm";

/** An operation row as OperationRow expects it (the int8 token as text, so no precision is lost). */
export const OP_COLUMNS = sql.raw(`id, server_id, host_id, generation, kind, vmid, status, attempt, max_attempts,
  lease_token::text as lease_token, lease_session_id, lease_expires_at, result, error, subject_id, params,
  (extract(epoch from clock_timestamp() - created_at) * 1000)::float8 as age_ms`);
