import { addJob, endChange, recordCrash, recordEvent, recordObservedAddress, releaseServerResources, reportDestroyFailed, transitionServer, type LeasedRow, type OperationRow, type Tx } from "@zlh/db";
import type { Manifest } from "@zlh/artifacts";
import { DONE_STATUS, isReportableIpv4, WORKING_STATUS, type ServerStatus } from "@zlh/domain";
import { HEAL_JOB, healJobKey } from "../../jobs/jobNames";
import type { LeasedOperation } from "@zlh/protocol";
import type { OperationDefinition } from "./definition";
import { endedGameOf, recordOperationEndedGame } from "./endedGame";

/**
 * The lifecycle kinds: each moves its server into its working status when
 * leased and to its done status when it succeeds (the tables in
 * packages/domain lifecycle.ts); one that fails for good fails the server.
 */

/** Moves the server into its working status (a no-op where the table forbids it). */
async function enterWorkingStatus(tx: Tx, op: OperationRow): Promise<void> {
  const to = WORKING_STATUS[op.kind];
  if (to) await transitionServer(tx, op.server_id, to, { operationId: op.id, data: { kind: op.kind } });
}

/**
 * A succeeded start, restart, stop or provision: the server reaches its done
 * status. `server.running` is written only by the transition that actually
 * makes the server running, so it appears once per start; the edge follows
 * `running` (the servers_edge_dirty trigger marks it), it never decides it.
 */
async function reachDoneStatus(tx: Tx, op: OperationRow, to: ServerStatus | undefined): Promise<void> {
  if (!to) return;
  await transitionServer(tx, op.server_id, to, {
    operationId: op.id, data: { kind: op.kind },
    alsoRecord: to === "running" ? { type: "server.running", operationId: op.id, data: { result: op.result } } : undefined,
  });
}

/** Failed for good (its result, or its last lease expired): the server fails with the reason. */
async function failServer(tx: Tx, op: OperationRow, reason: string): Promise<void> {
  await transitionServer(tx, op.server_id, "failed", { failureReason: reason, operationId: op.id, data: { kind: op.kind } });
}

const reasonOf = (op: OperationRow) => op.error ?? `${op.kind}_failed`;

/**
 * The address the agent observed in the container (`result.address`: a dhcp host's, or one without network
 * settings) after bringing it up, recorded before `running` so the edge publish reads it. It was read
 * inside the customer's container: only one well-formed unicast IPv4 address is taken, anything else is
 * ignored; a static allocation is never overridden (recordObservedAddress).
 */
async function recordReportedAddress(tx: Tx, op: OperationRow): Promise<void> {
  const address = (op.result as { address?: unknown } | null)?.address;
  if (isReportableIpv4(address)) await recordObservedAddress(tx, op.server_id, op.id, address);
}

/**
 * A start (a heal's too) whose game ended before it answered: a crash like one observed by
 * reconciliation, not a failed server: recorded with why (lastCrash, `server.crashed`, a crash loop
 * saying what keeps failing) and started again after its crash-loop backoff (docs/crash-reports.md).
 * False when it is not that, or the server moved on.
 */
async function recordEndedWhileStarting(tx: Tx, op: OperationRow): Promise<boolean> {
  const ended = endedGameOf(op);
  if (!ended) return false;
  const crash = await recordCrash(tx, op.server_id, ended.data, ended.evidence);
  if (!crash) return false;
  await recordEvent(tx, { type: "server.self_heal", serverId: op.server_id, hostId: op.host_id, data: { vmid: op.vmid, action: "start", crashStreak: crash.crashStreak, restartAt: crash.healAfter.toISOString() } });
  // The backoff's start: the caller converges (heal_after holds it until then) and the heal job wakes it.
  if (crash.healAfter.getTime() > Date.now()) await addJob(tx, HEAL_JOB, { serverId: op.server_id }, { jobKey: healJobKey(op.server_id), runAt: crash.healAfter, maxAttempts: 10 });
  return true;
}

/** Start, stop and restart: power moves of an existing container. */
const power: OperationDefinition = {
  onLeased: enterWorkingStatus,
  async onFinished(tx, op) {
    if (op.status === "failed" && (await recordEndedWhileStarting(tx, op))) return;
    if (op.status === "failed") return failServer(tx, op, reasonOf(op));
    if (op.status !== "succeeded") return;
    // A start reports where the game answered; a stop brought nothing up.
    if (op.kind !== "stop") await recordReportedAddress(tx, op);
    await reachDoneStatus(tx, op, DONE_STATUS[op.kind]);
  },
};

/**
 * Provision: a first install, a reinstall (`spec.reinstall`) or a change
 * (`spec.change`, with what to roll back to), each over the one container.
 */
export const provision: OperationDefinition = {
  spec: (op) => ({
    ...(op.reinstall_wipe === null ? {} : { reinstall: { wipe: op.reinstall_wipe } }),
    ...(op.change ? { change: changeSpec(op.change) } : {}),
  }),
  onLeased: enterWorkingStatus,
  async onFinished(tx, op) {
    // First, and whichever way it ended: a rolled-back change succeeded, its crash is in its result.
    await recordOperationEndedGame(tx, op);
    if (op.status === "succeeded") {
      await endChangeOf(tx, op);
      await recordReportedAddress(tx, op);
      // A change applied to a server wanted stopped is not started by the agent (`started: false`): the
      // server is stopped, not running (no `server.running`, no edge publish, no stop planned for it).
      const started = (op.result as { started?: unknown } | null)?.started !== false;
      await reachDoneStatus(tx, op, started ? DONE_STATUS.provision : "stopped");
    } else if (op.status === "failed") {
      // A change whose provision failed for good (the change and its rollback): it ends `failed`.
      await endChange(tx, op.server_id, op.generation, "failed", reasonOf(op));
      await failServer(tx, op, reasonOf(op));
    }
  },
};

/**
 * Destroy: only a confirmed destroy ends a server and frees what it held. A
 * failed destroy leaves it `deleting` (visible, holding its resources) with
 * the reason reported, for reconciliation and the operator, until a repeated
 * DELETE re-drives it; it never becomes `deleted` on hope.
 */
export const destroy: OperationDefinition = {
  async onFinished(tx, op) {
    if (op.status === "failed") return reportDestroyFailed(tx, op.server_id, op.id, reasonOf(op));
    if (op.status !== "succeeded") return;
    // What the agent reported goes under `result`, never beside the fields the control plane owns.
    const moved = await transitionServer(tx, op.server_id, "deleted", { operationId: op.id, data: { result: op.result } });
    if (moved) await releaseServerResources(tx, op.server_id);
  },
};

export const start = power;
export const stop = power;
export const restart = power;

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

/** What an agent needs to roll a change back: the settings and manifest the server had before it. */
function changeSpec(c: NonNullable<LeasedRow["change"]>): NonNullable<LeasedOperation["spec"]["change"]> {
  const p = c.previous as { serverProperties: Record<string, string | number | boolean>; memoryMiB: number; cpuCores: number; diskGiB: number };
  return {
    start: c.start,
    previous: { manifest: c.previousManifest as Manifest, serverProperties: p.serverProperties, memoryMiB: p.memoryMiB, cpuCores: p.cpuCores, diskGiB: p.diskGiB },
  };
}
