import { finishBackup, finishRunOfOperation, markBackupRunning, removeEndedLogRead, pruneBackups, queueBackupRemoval, recordEvent, restartEvidenceClock, settleRemovedArchives, type LeasedRow } from "@zlh/db";
import type { LeasedOperation } from "@zlh/protocol";
import type { OperationDefinition } from "./definition";
import { recordOperationEndedGame } from "./endedGame";

/**
 * The task kinds: asked for one by one, each with a subject of its own, run
 * only while nothing else runs on the server (log reads run beside
 * anything). A task never changes its server's status: a failed command or
 * backup does not fail the server.
 */

/** The backup a backup or restore is about, and whether the server runs after a restore. */
function backupSpec(op: LeasedRow): Partial<LeasedOperation["spec"]> {
  const p = op.params ?? {};
  return {
    backup: {
      backupId: String(p.backupId),
      ...(p.sha256 ? { sha256: String(p.sha256) } : {}),
      ...(p.sourceServerId ? { sourceServerId: String(p.sourceServerId) } : {}),
      ...(p.fetch === true ? { fetch: { sizeBytes: Number(p.sizeBytes) } } : {}),
      start: op.desired_state === "running",
    },
  };
}

export const command: OperationDefinition = {
  spec: (op) => ({ command: String(op.params?.command) }),
  // Its answer is read from the operation's result by whoever asked (the console route); a schedule's run ends with it.
  async onFinished(tx, op) {
    const failed = op.status === "failed";
    await finishRunOfOperation(tx, op.id, failed ? "failed" : "succeeded", failed ? (op.error ?? "the command did not run") : null);
  },
};

export const logs: OperationDefinition = {
  spec: (op) => {
    const p = op.params ?? {};
    return { logs: { ...(typeof p.tail === "number" ? { tail: p.tail } : {}), ...(typeof p.offset === "number" ? { offset: p.offset } : {}) } };
  },
  // The stream that asked is gone (it ended while the agent held the read): the answer has no reader.
  async onFinished(tx, op) {
    if (op.params?.ended) await removeEndedLogRead(tx, op.id);
  },
};

/**
 * A backup: running once leased. Completed, it is recorded with what the
 * agent measured, then retention runs: what it removes is marked deleted and
 * its archives are queued for removal on the host (now if the server is free,
 * otherwise by the removal sweep).
 */
export const backup: OperationDefinition = {
  spec: backupSpec,
  async onLeased(tx, op) {
    if (op.subject_id) await markBackupRunning(tx, op.subject_id);
  },
  async onFinished(tx, op, opts) {
    if (!op.subject_id) return;
    const r = (op.result ?? {}) as { sha256?: string; sizeBytes?: number };
    if (op.status !== "failed" && r.sha256 && typeof r.sizeBytes === "number") {
      await finishBackup(tx, op.subject_id, { sha256: r.sha256, sizeBytes: r.sizeBytes });
      await finishRunOfOperation(tx, op.id, "succeeded", null);
      const retention = opts.backupRetention;
      if (retention) {
        const pruned = await pruneBackups(tx, op.server_id, retention.keep, retention.maxAgeDays);
        if (pruned.length > 0) await queueBackupRemoval(tx, op.server_id);
      }
    } else {
      const error = op.error ?? "the agent reported no archive";
      await finishBackup(tx, op.subject_id, { error });
      await finishRunOfOperation(tx, op.id, "failed", error);
    }
  },
};

/**
 * A restore: the server's files are the backup's now, so earlier evidence about it no longer counts.
 * One whose game ended before it answered has that crash recorded (endedGame.ts).
 */
export const restore: OperationDefinition = {
  spec: backupSpec,
  async onFinished(tx, op) {
    // A retryable failure with attempts left is requeued (status queued): the restore has not ended, and the files are untouched.
    if (op.status === "queued") return;
    const failed = op.status === "failed";
    await recordOperationEndedGame(tx, op);
    await restartEvidenceClock(tx, op.server_id);
    await recordEvent(tx, {
      type: failed ? "server.restore_failed" : "server.restored",
      serverId: op.server_id,
      hostId: op.host_id,
      operationId: op.id,
      data: { backupId: op.params?.backupId, ...(failed ? { reason: op.error } : {}) },
    });
  },
};

/** One chunk of a download (routes/servers/backupDownload.ts): a read, removed once answered if its download ended meanwhile. */
export const backupRead: OperationDefinition = {
  spec: (op) => {
    const p = op.params ?? {};
    return { read: { backupId: String(p.backupId), offset: Number(p.offset), length: Number(p.length) } };
  },
  async onFinished(tx, op) {
    if (op.params?.ended) await removeEndedLogRead(tx, op.id);
  },
};

/** Removal of archives on the host: a confirmed one settles them; a failed one is left to the removal sweep. */
export const backupDelete: OperationDefinition = {
  spec: (op) => ({ backupIds: (op.params?.backupIds as string[]) ?? [] }),
  async onFinished(tx, op) {
    if (op.status === "failed") return;
    const ids = (op.params?.backupIds ?? []) as unknown[];
    await settleRemovedArchives(tx, ids.filter((id): id is string => typeof id === "string"));
  },
};
