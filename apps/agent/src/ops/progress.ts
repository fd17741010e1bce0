import type { LeasedOperation, Progress } from "@zlh/protocol";

export type ProgressReport = Omit<Progress, "v" | "type" | "opId" | "token">;
/** Where an operation is; cheap to call as often as wanted (it is throttled before anything is sent). */
export type ReportProgress = (p: ProgressReport) => void;

/** At most this many reports a second per operation, besides every change of phase and the last file of one. */
const MIN_INTERVAL_MS = 500;

/**
 * The reporter of one leased operation: sends a phase change at once, the end of a phase's counts at once,
 * and anything else only when MIN_INTERVAL_MS passed since the last report (a download does not flood the
 * control plane with byte counts). Sending is best effort: a report lost while disconnected is not resent.
 */
export function progressReporter(op: Pick<LeasedOperation, "opId" | "token">, send: (m: Omit<Progress, "v">) => void, now: () => number = Date.now): ReportProgress {
  let lastPhase: string | null = null;
  let lastAt = -Infinity;
  return (p) => {
    const t = now();
    const finished = p.done !== undefined && p.done === p.total;
    if (p.phase === lastPhase && !finished && t - lastAt < MIN_INTERVAL_MS) return;
    lastPhase = p.phase;
    lastAt = t;
    send({ type: "progress", opId: op.opId, token: op.token, ...p });
  };
}

/** A placement's per-file callback reporting the `downloading` phase: files done of total, their bytes done of total. */
export function downloadProgress(report: ReportProgress | undefined): ((done: number, total: number, bytesDone: number, bytesTotal: number) => void) | undefined {
  return report && ((done, total, bytesDone, bytesTotal) => report({ phase: "downloading", done, total, bytesDone, bytesTotal }));
}
