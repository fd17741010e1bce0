import { Compile } from "typebox/compile";
import { recognizeCrash } from "@zlh/domain";
import { recordOperationCrash, type OperationRow, type Tx } from "@zlh/db";
import { CrashEvidence } from "@zlh/protocol";

const isCrashEvidence = Compile(CrashEvidence);

/** What a crash record of a game that ended while its operation started it says: the event's data and the evidence. */
interface EndedGame {
  data: Record<string, unknown>;
  evidence: CrashEvidence | null;
}

/**
 * The one place an operation whose game ended before it answered (the
 * agent's `game_exited`, docs/game-liveness.md) becomes a crash record:
 * `reason: game_exited`, `source` the operation's kind, the cause, hint and
 * summary recognised from the evidence the agent read. A start's failure says
 * so in its error; a change's (a provision carrying one) in the `failedWith`
 * of its rollback's result, or of its `rollback_failed` failure, with
 * `change: true` and whether it was rolled back. The evidence was read inside
 * the customer's container, by an agent whose host may be subverted: it is
 * kept only if it is within the protocol's bounds. Null when the operation's
 * game did not end so.
 */
export function endedGameOf(op: OperationRow): EndedGame | null {
  const result = (op.result ?? {}) as { crash?: unknown; failedWith?: unknown; rolledBack?: unknown };
  const failed = op.status === "failed" && op.error?.startsWith("game_exited:") === true;
  const change = result.failedWith === "game_exited" && (op.status === "succeeded" || op.status === "failed");
  if (op.kind === "stop" || (!failed && !change)) return null;
  const evidence = isCrashEvidence.Check(result.crash) ? result.crash : null;
  const { cause, hint, summary } = recognizeCrash("game_exited", evidence);
  const data = {
    vmid: op.vmid,
    source: op.kind,
    reason: "game_exited",
    cause,
    ...(hint ? { hint } : {}),
    ...(summary ? { summary } : {}),
    ...(change ? { change: true, rolledBack: result.rolledBack === true } : {}),
  };
  return { data, evidence };
}

/**
 * A provision, a change or a restore whose game ended before it answered: its crash is recorded
 * (lastCrash, `server.crashed`) so the customer sees the log that says why, but healed by nothing and
 * counted toward no crash loop: the operation's own failure, or its rollback to what ran before,
 * decides the server's state (recordOperationCrash).
 */
export async function recordOperationEndedGame(tx: Tx, op: OperationRow): Promise<void> {
  const ended = endedGameOf(op);
  if (ended) await recordOperationCrash(tx, op.server_id, op.id, ended.data, ended.evidence);
}
