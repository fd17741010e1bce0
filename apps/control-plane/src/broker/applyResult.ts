import { applyResultIfCurrent, type Db, type ReportedResult, type ResultVerdict } from "@zlh/db";
import { converge } from "../lifecycle/converge";
import { retryOnDeadlock } from "../db/retryOnDeadlock";
import { onOperationFinished, type EffectOptions } from "./effects";

/**
 * Applies one agent result and its consequences for the server in one
 * transaction. The agent is acknowledged only after this commits, so a crash
 * in between means the agent resends and the result is applied (or found a
 * duplicate) then.
 */
export async function applyAgentResult(db: Db, hostId: string, result: ReportedResult, opts: EffectOptions): Promise<ResultVerdict> {
  return retryOnDeadlock(() =>
    db.transaction(async (tx) => {
      const verdict = await applyResultIfCurrent(tx, hostId, result);
      if (verdict.verdict === "applied") {
        await onOperationFinished(tx, verdict.op, opts);
        await converge(tx, verdict.op.server_id);
      }
      return verdict;
    }),
  );
}
