import type { Logger } from "pino";
import type { LeasedOperation } from "@zlh/protocol";
import type { ArtifactFiles } from "../placement/cache";
import type { Runtime } from "../runtime/runtime";
import type { ReportProgress } from "./progress";

export interface OpContext {
  op: LeasedOperation;
  runtime: Runtime;
  /** The host's verified artifact cache, for placing manifest files. */
  artifacts: ArtifactFiles;
  log: Logger;
  /**
   * Aborted when the lease is lost. Every step checks it before its next side
   * effect on the host (ensureLeaseHeld below), so a lost lease never acts beside
   * the attempt the control plane granted instead.
   */
  signal: AbortSignal;
  /** How long to wait for the game port to answer a status ping after start. */
  readyTimeoutMs: number;
  /** Graceful stop window before a forced stop. */
  stopTimeoutMs: number;
  /** Where backups are kept (ZLH_BACKUP_DIR). */
  backupDir: string;
  /** The control plane's HTTP base URL and this host's token, for fetching a backup kept on another host; absent: none can be. */
  control?: { url: string; token: string };
  /** Reports the operation's phase and counts to the control plane (throttled, progress.ts); absent: not reported. */
  progress?: ReportProgress;
}

export type ResultData = Record<string, unknown>;

/** Call before each side effect on the host: throws LeaseLost once the lease is gone. */
export function ensureLeaseHeld(ctx: Pick<OpContext, "signal">): void {
  ctx.signal.throwIfAborted();
}
