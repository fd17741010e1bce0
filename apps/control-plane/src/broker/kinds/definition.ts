import type { LeasedRow, OperationRow, Tx } from "@zlh/db";
import type { LeasedOperation } from "@zlh/protocol";

/** Backup retention, applied when a backup completes. */
export interface BackupRetention {
  /** Completed backups kept per server (ZLH_BACKUP_KEEP). */
  keep: number;
  /** Backups older than this are removed (ZLH_BACKUP_MAX_AGE_DAYS). */
  maxAgeDays: number;
}

/** What the control plane's settings decide about an operation's consequences. */
export interface EffectOptions {
  /** Backup retention, applied when a backup completes. */
  backupRetention?: BackupRetention;
}

/**
 * Everything the control plane knows about one operation kind, in one
 * place: the kind's part of the spec an agent is leased, what its lease
 * means, and what its end means. Whether it is a lifecycle operation or a
 * task is the domain's (packages/domain operations.ts), where the database
 * takes its lists from too. Adding a kind: docs/contributing/new-operation-kind.md.
 */
export interface OperationDefinition {
  /** The kind's fields of the leased spec, beyond the server's own (VMID, resources, network, manifest, RCON). */
  spec?(op: LeasedRow): Partial<LeasedOperation["spec"]>;
  /** In the grant's transaction, once the operation is leased. */
  onLeased?(tx: Tx, op: OperationRow): Promise<void>;
  /**
   * In the transaction that records its end: the agent's result, or the
   * expiry of its last lease (`op.status` is `succeeded` or `failed`).
   */
  onFinished(tx: Tx, op: OperationRow, opts: EffectOptions): Promise<void>;
}
