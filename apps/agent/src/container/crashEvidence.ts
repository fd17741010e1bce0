import { type EvidenceBound, EVIDENCE_BOUNDS, fitCrashEvidence, safeLines } from "@zlh/domain";
import type { CrashEvidence } from "@zlh/protocol";
import type { GuestFiles } from "../guest/guestFiles";
import { SERVER_DIR } from "../placement/placeServer";
import type { GameExit } from "./gameExit";
import { GAME_STDERR_FILE } from "./gameUnit";

const LATEST_LOG = `${SERVER_DIR}/logs/latest.log`;
const CRASH_REPORTS = `${SERVER_DIR}/crash-reports`;
/** Vanilla's (and Fabric's, Forge's) crash report name: crash-<yyyy-MM-dd_HH.mm.ss>-<side>.txt, so names sort by time. */
const REPORT_NAME = /^crash-\d{4}-\d{2}-\d{2}_\d{2}\.\d{2}\.\d{2}-[a-z]{1,16}\.txt$/;
/** The crash-reports/ entries read at most for the newest report: bounded work in a directory of any size. */
const REPORT_ENTRIES_READ = 10_000;
/** A crash report older than the log's last write by more than this is of an earlier run. */
const REPORT_STALE_MS = 60_000;

/** The last `readBytes` of the regular file `path` as safe lines, or null when it is missing or empty. */
async function tail(guest: GuestFiles, path: string, bound: EvidenceBound): Promise<string[] | null> {
  const { size, exists } = await guest.read(path, 0, 0);
  if (!exists || size === 0) return null;
  const from = Math.max(0, size - bound.readBytes);
  const { data } = await guest.read(path, from, bound.readBytes);
  return safeLines(data, bound, "end", from > 0);
}

/**
 * Why the game died, read through the container boundary as hostile input
 * (docs/crash-reports.md): the last lines of logs/latest.log and of the
 * game's stderr, the head of the newest crash report (by name, from one
 * listing; only if written during the log's run), each bounded in bytes read
 * and lines, made safe (safeLines), then fitted to its budget in bytes of
 * JSON (fitCrashEvidence: a log keeps its tail, `truncated` says it was cut),
 * so the control plane can store it whole. Whatever is not a regular file (a FIFO, a
 * link, a device) or cannot be read is named in `refused` and the rest is
 * still read; the worker's own deadline bounds the whole.
 */
export async function readCrashEvidence(guest: GuestFiles, exit: GameExit | null): Promise<CrashEvidence> {
  const evidence: CrashEvidence = exit ? { exit } : {};
  const refused: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      refused.push(`${what}: ${(err as Error).message}`.slice(0, 300));
      return null;
    }
  };
  const log = await attempt(LATEST_LOG, () => tail(guest, LATEST_LOG, EVIDENCE_BOUNDS.log));
  if (log) evidence.log = log;
  const stderr = await attempt(GAME_STDERR_FILE, () => tail(guest, GAME_STDERR_FILE.slice(1), EVIDENCE_BOUNDS.stderr));
  if (stderr) evidence.stderr = stderr;
  const report = await attempt(CRASH_REPORTS, () => newestReport(guest, refused));
  if (report) evidence.crashReport = report;
  if (refused.length > 0) evidence.refused = refused;
  return fitCrashEvidence(evidence)!;
}

/** The newest report from at most REPORT_ENTRIES_READ names (a customer can fill the directory); `refused` says when there were more. */
async function newestReport(guest: GuestFiles, refused: string[]): Promise<CrashEvidence["crashReport"] | null> {
  const { name: newest, complete } = await guest.greatest(CRASH_REPORTS, REPORT_NAME, REPORT_ENTRIES_READ);
  if (!complete) refused.push(`${CRASH_REPORTS}: more than ${REPORT_ENTRIES_READ} entries; the newest report of the first ${REPORT_ENTRIES_READ} read`);
  if (!newest) return null;
  const path = `${CRASH_REPORTS}/${newest}`;
  const [entry, log] = [await guest.stat(path), await guest.stat(LATEST_LOG)];
  if (!entry || entry.type !== "file") return null;
  if (log && entry.mtimeMs < log.mtimeMs - REPORT_STALE_MS) return null;
  const { data } = await guest.read(path, 0, EVIDENCE_BOUNDS.crashReport.readBytes);
  return { name: newest, lines: safeLines(data, EVIDENCE_BOUNDS.crashReport, "start") };
}
