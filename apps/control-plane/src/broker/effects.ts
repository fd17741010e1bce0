import type { OperationRow, Tx } from "@zlh/db";
import { OPERATION_DEFINITIONS, type EffectOptions } from "./kinds";

export type { EffectOptions } from "./kinds";

/**
 * Where an operation's lease and end take effect, for every kind, in the
 * caller's transaction (a grant, a result, an expiry). What each kind does is
 * its definition's (kinds/).
 */
export async function onOperationLeased(tx: Tx, op: OperationRow): Promise<void> {
  await OPERATION_DEFINITIONS[op.kind].onLeased?.(tx, op);
}

/** A result was applied: what the operation's end means for its server. */
export async function onOperationFinished(tx: Tx, op: OperationRow, opts: EffectOptions): Promise<void> {
  await OPERATION_DEFINITIONS[op.kind].onFinished(tx, op, opts);
}

/**
 * Its last lease expired with no attempt left: the same as a failed result
 * (a lifecycle operation fails its server, except a destroy, whose server
 * stays `deleting`; a task never fails its server).
 */
export async function onOperationFailed(tx: Tx, op: OperationRow): Promise<void> {
  await OPERATION_DEFINITIONS[op.kind].onFinished(tx, { ...op, status: "failed" }, {});
}
