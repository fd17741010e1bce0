import type { CrashEvidence } from "./crashCause";
import { cleanLine, type TextLimits } from "./crashText";

/**
 * The crash detail's bound (servers_last_crash_detail_bounded), in the bytes
 * Postgres counts: octet_length(last_crash_detail::text). The evidence's
 * budgets below leave room under it for the cause, hint, summary and keys, so
 * a detail built from evidence fitted here always fits; the constraint stays
 * the last guard against any other writer.
 */
export const CRASH_DETAIL_MAX_BYTES = 65_536;

/** How much of a source the agent reads (`readBytes`, raw), keeps (lines, UTF-16 units a line) and sends (`maxBytes`). */
export interface EvidenceBound extends TextLimits {
  readBytes: number;
  /** UTF-8 bytes of the field's lines as JSON text (jsonTextBytes): what it costs in the stored detail. */
  maxBytes: number;
}

/**
 * Each evidence field's budget (docs/crash-reports.md). Lines and characters
 * alone do not bound bytes: an invalid byte read becomes U+FFFD (3 bytes), a
 * control character sent as is becomes a 6-byte escape, so every field is
 * also bounded in bytes of its JSON encoding; 43 KiB in all at most.
 */
export const EVIDENCE_BOUNDS = {
  log: { readBytes: 16 * 1024, maxLines: 40, maxLineChars: 300, maxBytes: 16 * 1024 },
  stderr: { readBytes: 8 * 1024, maxLines: 20, maxLineChars: 300, maxBytes: 8 * 1024 },
  crashReport: { readBytes: 16 * 1024, maxLines: 60, maxLineChars: 300, maxBytes: 16 * 1024 },
  refused: { readBytes: 0, maxLines: 4, maxLineChars: 300, maxBytes: 2 * 1024 },
} as const satisfies Record<string, EvidenceBound>;

/** The crash report's file name, and how systemd says the unit ended: short by construction, cut if not. */
export const EVIDENCE_NAME_CHARS = 128;
export const EVIDENCE_EXIT_CHARS = { result: 32, code: 16, status: 16 } as const;

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `value` as Postgres prints it as jsonb text: JSON with a
 * space after each ',' and ':' (which JSON.stringify leaves out), escapes as
 * JSON.stringify writes them.
 */
export function jsonTextBytes(value: unknown): number {
  if (Array.isArray(value)) return 2 + value.reduce<number>((n, v) => n + jsonTextBytes(v), 0) + 2 * Math.max(0, value.length - 1);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return 2 + entries.reduce((n, [k, v]) => n + jsonTextBytes(k) + 2 + jsonTextBytes(v), 0) + 2 * Math.max(0, entries.length - 1);
  }
  return encoder.encode(JSON.stringify(value) ?? "null").length;
}

/**
 * As many of `lines` as fit `maxBytes` (jsonTextBytes of the array), taken
 * from the end (a log's tail) or the start (a crash report's head); the first
 * line that does not fit whole is kept in part, cut on a code point boundary
 * and marked with an ellipsis where it was cut. `cut` says whether anything
 * was left out.
 */
export function fitLines(lines: readonly string[], maxBytes: number, keep: "start" | "end"): { lines: string[]; cut: boolean } {
  const order = keep === "end" ? [...lines].reverse() : [...lines];
  const kept: string[] = [];
  let used = 2;
  for (const line of order) {
    const room = maxBytes - used - (kept.length > 0 ? 2 : 0);
    const bytes = jsonTextBytes(line);
    if (bytes <= room) {
      kept.push(line);
      used += bytes + (kept.length > 1 ? 2 : 0);
      continue;
    }
    const part = cutLine(line, room, keep);
    if (part !== null) kept.push(part);
    return { lines: keep === "end" ? kept.reverse() : kept, cut: true };
  }
  return { lines: keep === "end" ? kept.reverse() : kept, cut: false };
}

/** The part of `line` (its tail for "end", its head for "start") that fits `room` bytes as JSON with its ellipsis, or null for none. */
function cutLine(line: string, room: number, keep: "start" | "end"): string | null {
  let left = room - jsonTextBytes("…");
  const points = Array.from(line);
  if (keep === "end") points.reverse();
  const taken: string[] = [];
  for (const p of points) {
    const bytes = jsonTextBytes(p) - 2;
    if (bytes > left) break;
    left -= bytes;
    taken.push(p);
  }
  if (taken.length === 0) return null;
  return keep === "end" ? `…${taken.reverse().join("")}` : `${taken.join("")}…`;
}

/**
 * Crash evidence from whoever sent it (the agent's own reading, or a frame
 * from an old or subverted agent) rebuilt within EVIDENCE_BOUNDS: only the
 * known fields, every string made safe again (cleanLine: no control
 * character, no lone surrogate), every field within its line and byte
 * budget. `truncated: true` says something was left out or cut, here or
 * where it was read. Null for what is not an object.
 */
export function fitCrashEvidence(value: unknown): CrashEvidence | null {
  if (!isObject(value)) return null;
  let truncated = value.truncated === true;
  const lines = (raw: unknown, bound: EvidenceBound, keep: "start" | "end"): string[] | undefined => {
    if (!Array.isArray(raw)) return undefined;
    const texts = raw.filter((l): l is string => typeof l === "string");
    const counted = keep === "end" ? texts.slice(-bound.maxLines) : texts.slice(0, bound.maxLines);
    const fit = fitLines(
      counted.map((l) => cleanLine(l, bound.maxLineChars)),
      bound.maxBytes,
      keep,
    );
    if (fit.cut || counted.length < raw.length) truncated = true;
    return fit.lines;
  };
  const out: CrashEvidence = {};
  const log = lines(value.log, EVIDENCE_BOUNDS.log, "end");
  if (log) out.log = log;
  const stderr = lines(value.stderr, EVIDENCE_BOUNDS.stderr, "end");
  if (stderr) out.stderr = stderr;
  const report = value.crashReport;
  if (isObject(report) && typeof report.name === "string") {
    out.crashReport = { name: cleanLine(report.name, EVIDENCE_NAME_CHARS), lines: lines(report.lines, EVIDENCE_BOUNDS.crashReport, "start") ?? [] };
  }
  const exit = value.exit;
  if (isObject(exit) && typeof exit.result === "string" && typeof exit.code === "string" && typeof exit.status === "string") {
    const c = EVIDENCE_EXIT_CHARS;
    out.exit = { result: cleanLine(exit.result, c.result), code: cleanLine(exit.code, c.code), status: cleanLine(exit.status, c.status) };
  }
  const refused = lines(value.refused, EVIDENCE_BOUNDS.refused, "start");
  if (refused) out.refused = refused;
  if (truncated) out.truncated = true;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
