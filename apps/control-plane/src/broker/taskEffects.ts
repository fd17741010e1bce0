import { finishBackup, markBackupRunning, pruneBackups, queueBackupRemoval, recordEvent, restartEvidenceClock, settleRemovedArchives, type OperationRow, type Tx } from "@zlh/db";

export interface BackupRetention {
  /** Completed backups kept per server (ZLH_BACKUP_KEEP). */
  keep: number;
  /** Backups older than this are removed (ZLH_BACKUP_MAX_AGE_DAYS). */
  maxAgeDays: number;
}

/** A task operation was leased: a backup is now being written. */
export async function onTaskLeased(tx: Tx, op: OperationRow): Promise<void> {
  if (op.kind === "backup" && op.subject_id) await markBackupRunning(tx, op.subject_id);
}

/**
 * What a finished task operation means, in the result's transaction. A task
 * never changes its server's status (a failed command or backup does not
 * fail the server). A completed backup is recorded with what the agent
 * measured, then retention runs: what it removes is marked deleted and its
 * archives are queued for removal on the host. A removal confirmed by the
 * agent settles those archives; a failed one is left to the removal sweep.
 */
export async function onTaskFinished(tx: Tx, op: OperationRow, retention: BackupRetention | null): Promise<void> {
  const failed = op.status === "failed";
  if (op.kind === "backup" && op.subject_id) {
    const r = (op.result ?? {}) as { sha256?: string; sizeBytes?: number };
    if (!failed && r.sha256 && typeof r.sizeBytes === "number") {
      await finishBackup(tx, op.subject_id, { sha256: r.sha256, sizeBytes: r.sizeBytes });
      if (retention) {
        const pruned = await pruneBackups(tx, op.server_id, retention.keep, retention.maxAgeDays);
        // Queued now if it can be; otherwise the removal sweep queues it once the server is free.
        if (pruned.length > 0) await queueBackupRemoval(tx, op.server_id);
      }
    } else {
      await finishBackup(tx, op.subject_id, { error: op.error ?? "the agent reported no archive" });
    }
  } else if (op.kind === "backup_delete") {
    const ids = (op.params?.backupIds ?? []) as string[];
    if (!failed) await settleRemovedArchives(tx, ids.filter((id) => typeof id === "string"));
  } else if (op.kind === "restore") {
    await restartEvidenceClock(tx, op.server_id);
    await recordEvent(tx, {
      type: failed ? "server.restore_failed" : "server.restored",
      serverId: op.server_id,
      hostId: op.host_id,
      operationId: op.id,
      data: { backupId: op.params?.backupId, ...(failed ? { reason: op.error } : {}) },
    });
  }
}
