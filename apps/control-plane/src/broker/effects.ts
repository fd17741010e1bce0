import { addJob, endChange, recordObservedAddress, releaseServerResources, reportDestroyFailed, transitionServer, type OperationRow, type Tx } from "@zlh/db";
import { EDGE_PUBLISH_TASK, edgeJobKey } from "../jobs/taskNames";
import { DONE_STATUS, isLifecycleKind, isReportableIpv4, WORKING_STATUS, type ServerStatus } from "@zlh/domain";
import { onTaskFinished, onTaskLeased, type BackupRetention } from "./taskEffects";

/**
 * Where a succeeded operation leaves its server. A change applied to a server
 * wanted stopped is not started by the agent (`started: false`): the server
 * is stopped, not running (no `server.running`, no edge publish, no stop
 * planned for a server that never started).
 */
function doneStatus(op: OperationRow): ServerStatus | undefined {
  if (op.kind === "provision" && (op.result as { started?: unknown } | null)?.started === false) return "stopped";
  return DONE_STATUS[op.kind];
}

/** Moves the server into its working status when its operation is leased (no-op where the table forbids it). */
export async function onOperationLeased(tx: Tx, op: OperationRow): Promise<void> {
  if (!isLifecycleKind(op.kind)) return onTaskLeased(tx, op);
  const to = WORKING_STATUS[op.kind];
  if (to) await transitionServer(tx, op.server_id, to, { data: { operationId: op.id, kind: op.kind } });
}

/**
 * What a finished operation means for its server, in the transaction that
 * records the result. `server.running` is written only by the transition that
 * actually makes the server running, so it appears once per start.
 */
export interface EffectOptions {
  /** Whether an edge publisher is configured; without one, no publish job is queued at all. */
  publishToEdge: boolean;
  /** Backup retention, applied when a backup completes. */
  backupRetention?: BackupRetention;
}

export async function onOperationFinished(tx: Tx, op: OperationRow, opts: EffectOptions): Promise<void> {
  if (!isLifecycleKind(op.kind)) return onTaskFinished(tx, op, opts.backupRetention ?? null);
  if (op.kind === "destroy") {
    // Only a confirmed destroy ends a server and frees what it held. A failed
    // destroy leaves it `deleting` (visible, holding its resources) for
    // reconciliation and the operator; it never becomes `deleted` on hope.
    if (op.status === "failed") return onOperationFailed(tx, op);
    if (op.status !== "succeeded") return;
    // What the agent reported goes under `result`, never beside the fields the control plane owns.
    const moved = await transitionServer(tx, op.server_id, "deleted", { data: { operationId: op.id, result: op.result } });
    if (moved) await releaseServerResources(tx, op.server_id);
    return;
  }
  if (op.status === "succeeded") {
    if (op.kind === "provision") await endChangeOf(tx, op);
    await recordReportedAddress(tx, op);
    const to = doneStatus(op);
    if (!to) return;
    const moved = await transitionServer(tx, op.server_id, to, {
      data: { operationId: op.id, kind: op.kind },
      alsoRecord: to === "running" ? { type: "server.running", operationId: op.id, data: { result: op.result } } : undefined,
    });
    // Edge publishing follows `running`; it never decides it.
    if (moved && to === "running" && opts.publishToEdge) {
      await addJob(tx, EDGE_PUBLISH_TASK, { serverId: op.server_id }, { jobKey: edgeJobKey(op.server_id), maxAttempts: 10 });
    }
  } else if (op.status === "failed") {
    await onOperationFailed(tx, op);
  }
}

/**
 * The address the agent observed in the container (`result.address`: a dhcp host's, or one without network
 * settings) after bringing it up, recorded before `running` so the edge publish reads it. It was read
 * inside the customer's container: only one well-formed unicast IPv4 address is taken, anything else is
 * ignored; a static allocation is never overridden (recordObservedAddress).
 */
async function recordReportedAddress(tx: Tx, op: OperationRow): Promise<void> {
  if (op.kind !== "provision" && op.kind !== "start" && op.kind !== "restart") return;
  const address = (op.result as { address?: unknown } | null)?.address;
  if (isReportableIpv4(address)) await recordObservedAddress(tx, op.server_id, op.id, address);
}

/**
 * An operation failed for good (its result, or its last lease expired): the
 * server fails with the reason, except for a destroy, whose server stays
 * `deleting` with the reason reported, until a repeated DELETE re-drives it.
 */
export async function onOperationFailed(tx: Tx, op: OperationRow): Promise<void> {
  // A task that failed (its result, or its last lease expired) never fails its server.
  if (!isLifecycleKind(op.kind)) return onTaskFinished(tx, { ...op, status: "failed" }, null);
  const reason = op.error ?? `${op.kind}_failed`;
  if (op.kind === "destroy") return reportDestroyFailed(tx, op.server_id, op.id, reason);
  // A change whose provision failed for good (the change and its rollback): it ends `failed`.
  if (op.kind === "provision") await endChange(tx, op.server_id, op.generation, "failed", reason);
  await transitionServer(tx, op.server_id, "failed", { failureReason: reason, data: { operationId: op.id, kind: op.kind } });
}

/**
 * A provision that succeeded ends the change it applied, if it was one (its
 * generation is the change's): applied, or rolled back when the agent had to
 * put the previous manifest back (result.rolledBack, with the reason).
 */
async function endChangeOf(tx: Tx, op: OperationRow): Promise<void> {
  const result = (op.result ?? {}) as { rolledBack?: boolean; reason?: string };
  if (result.rolledBack) await endChange(tx, op.server_id, op.generation, "rolled_back", result.reason ?? "the server did not come up with the change");
  else await endChange(tx, op.server_id, op.generation, "applied", null);
}
