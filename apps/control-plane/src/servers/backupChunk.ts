import type { OperationRow } from "@zlh/db";
import { CommandFailedError, CommandTimeoutError } from "@zlh/domain";

/** The most one `backup_read` is asked for (the agent's own bound too). */
export const BACKUP_CHUNK = 1024 * 1024;

/**
 * The bytes of one answered `backup_read` from `offset`, or why not: no
 * answer in time (null), a failed read, an archive whose size is not the
 * recorded one, or one that ends before it. The agent's answer is hostile
 * input: only a base64 string and the exact recorded size are taken.
 */
export function backupChunk(op: OperationRow | null, offset: number, size: number, timeoutMs: number): Buffer {
  if (!op) throw new CommandTimeoutError(`The host did not answer within ${timeoutMs} ms.`);
  if (op.status !== "succeeded") throw new CommandFailedError(`The archive could not be read: ${op.error ?? op.status}.`);
  const r = (op.result ?? {}) as { data?: unknown; size?: unknown };
  if (typeof r.data !== "string" || r.size !== size) throw new CommandFailedError(`The archive on the host is not the backup (${String(r.size)} bytes, recorded ${size}).`);
  const buf = Buffer.from(r.data, "base64");
  if (buf.length === 0 && offset < size) throw new CommandFailedError("The archive on the host ended early.");
  return buf;
}
