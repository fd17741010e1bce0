import { MAX_OPERATION_ERROR_CHARS, MAX_OPERATION_RESULT_BYTES, type Operation } from "@zlh/api";
import type { OperationRecord } from "@zlh/db";
import type { OperationKind } from "@zlh/domain";
import { isoTime } from "../servers/present";

/** Kinds whose result is console output (a command's reply, log lines): answered by the console routes, under the panel scope, never here. */
const CONSOLE_OUTPUT: readonly OperationKind[] = ["command", "logs", "backup_read"];

/**
 * An operation as the API shows it. Its result is the agent's report (hostile
 * input, stored as sent): answered only when it is a JSON object of at most
 * MAX_OPERATION_RESULT_BYTES and not console output; otherwise null with
 * resultOmitted. Its failure reason is cut to MAX_OPERATION_ERROR_CHARS.
 */
export function presentOperation(row: OperationRecord): Operation {
  const { result, omitted } = fitResult(row.kind, row.result);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    serverId: row.server_id,
    hostId: row.host_id,
    generation: row.generation,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    leaseExpiresAt: row.lease_expires_at ? isoTime(row.lease_expires_at) : null,
    error: row.error === null ? null : [...row.error].slice(0, MAX_OPERATION_ERROR_CHARS).join(""),
    result,
    resultOmitted: omitted,
  };
}

function fitResult(kind: OperationKind, result: unknown): { result: Record<string, unknown> | null; omitted: boolean } {
  if (result === null || result === undefined) return { result: null, omitted: false };
  const isObject = typeof result === "object" && !Array.isArray(result);
  if (!isObject || CONSOLE_OUTPUT.includes(kind)) return { result: null, omitted: true };
  if (Buffer.byteLength(JSON.stringify(result), "utf8") > MAX_OPERATION_RESULT_BYTES) return { result: null, omitted: true };
  return { result: result as Record<string, unknown>, omitted: false };
}
