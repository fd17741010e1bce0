import { randomUUID } from "node:crypto";
import { endLogRead, insertTaskOperation, type Db, type LogWant, type OperationRow, type ServerRow } from "@zlh/db";
import { CommandFailedError, CommandTimeoutError, hasLog, InvalidTransitionError } from "@zlh/domain";
import { waitForOperation } from "../servers/waitForOperation";

export interface LogRead {
  lines: string[];
  offset: number;
}

/** A server with no log to read (never placed, or gone) is refused before anything is queued. */
export function assertHasLog(server: ServerRow): void {
  if (!hasLog(server.status)) throw new InvalidTransitionError(`The server is ${server.status}; it has no log to read.`);
}

/**
 * One read of the console log through the host's agent (`GET /logs`): a
 * `logs` task operation, which runs beside anything else on the server and
 * leaves no events, deleted once answered (a read keeps no row).
 */
export async function readLogOnce(db: Db, server: ServerRow, want: LogWant, timeoutMs: number): Promise<LogRead> {
  assertHasLog(server);
  const opId = await insertTaskOperation(db, server.id, "logs", randomUUID(), want, 1);
  if (!opId) throw new InvalidTransitionError("The server is being deleted; it has no log to read.");
  try {
    return logReadOf(await waitForOperation(db, opId, timeoutMs), timeoutMs);
  } finally {
    await endLogRead(db, opId);
  }
}

/**
 * What an answered read holds, checked: the lines come from inside the
 * customer's container (through the agent), so anything but a list of
 * strings and a byte offset is a failed read, not something to pass on.
 */
export function logReadOf(op: OperationRow | null, timeoutMs: number): LogRead {
  if (!op) throw new CommandTimeoutError(`The host did not answer within ${timeoutMs} ms.`);
  if (op.status !== "succeeded") throw new CommandFailedError(`The log could not be read: ${op.error ?? op.status}.`);
  const r = (op.result ?? {}) as { lines?: unknown; offset?: unknown };
  const lines = r.lines ?? [];
  const offset = r.offset ?? 0;
  if (!Array.isArray(lines) || !lines.every((l) => typeof l === "string") || !Number.isSafeInteger(offset) || (offset as number) < 0) {
    throw new CommandFailedError("The log could not be read: the host's answer was malformed.");
  }
  return { lines, offset: offset as number };
}
