import type { Result } from "@zlh/protocol";
import { LeaseLost } from "../leases";
import { RuntimeError } from "../runtime/runtime";
import type { OpContext, ResultData } from "./context";
import { destroy } from "./destroy";
import { OpFailure } from "./opFailure";
import { restart, start, stop } from "./power";
import { provision } from "./provision";
import { reinstall } from "./reinstall";
import { change } from "./applyChange";
import { command } from "./command";
import { backup, backupDelete } from "./backup";
import { restore } from "./restore";
import { logs } from "./logs";
import { backupRead } from "./backupRead";

/**
 * What the agent does for each operation: one handler per kind, and two for
 * the provisions that are not a first install (a change and a reinstall:
 * one operation kind for the control plane, one container, other steps on
 * the host). A kind missing here does not compile.
 */
type HandlerName = OpContext["op"]["kind"] | "change" | "reinstall";
const HANDLERS: Record<HandlerName, (ctx: OpContext) => Promise<ResultData>> = {
  provision,
  change,
  reinstall,
  destroy,
  start,
  stop,
  restart,
  command,
  backup,
  restore,
  backup_delete: backupDelete,
  logs,
  backup_read: backupRead,
};

/** The handler of a leased operation: a provision carrying a change, or a reinstall, is that. */
export function handlerName(op: OpContext["op"]): HandlerName {
  if (op.kind === "provision" && op.spec.change) return "change";
  if (op.kind === "provision" && op.spec.reinstall) return "reinstall";
  return op.kind;
}

/** Runs one leased operation and turns whatever happens into a result message (never throws). */
export async function executeOperation(ctx: OpContext): Promise<Omit<Result, "v" | "type">> {
  const { op } = ctx;
  const base = { opId: op.opId, token: op.token };
  try {
    const data = await HANDLERS[handlerName(op)](ctx);
    return { ...base, outcome: "succeeded", data };
  } catch (err) {
    const failure =
      err instanceof OpFailure
        ? err
        : err instanceof LeaseLost
          ? new OpFailure("lease_lost", err.message, true)
        : err instanceof RuntimeError
          ? // A lock that outlived the runtime's own retries may clear; other refusals will not.
            new OpFailure(`runtime_${err.kind}`, err.message, err.kind === "locked" || err.kind === "other")
          : new OpFailure("agent_error", (err as Error).message ?? String(err), true);
    ctx.log.warn({ code: failure.code, retryable: failure.retryable, err: failure.message }, "operation failed");
    return { ...base, outcome: "failed", retryable: failure.retryable, error: { code: failure.code, message: failure.message.slice(0, 2000) }, ...(failure.data ? { data: failure.data } : {}) };
  }
}
