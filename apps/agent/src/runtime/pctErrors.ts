import { RuntimeError, type RuntimeErrorKind } from "./runtime";

/**
 * Proxmox's own wording, mapped to what it means. pct exits 255 (or 2) for
 * nearly everything, so the message is all there is to go on.
 */
const PATTERNS: [RegExp, RuntimeErrorKind][] = [
  [/already exists/i, "exists"],
  [/Configuration file '[^']*' does not exist|does not exist/i, "missing"],
  [/already running/i, "already_running"],
  [/not running/i, "not_running"],
  [/is running - destroy failed|is running/i, "running"],
  [/can't lock file|is locked|got timeout|lock timeout|trying to acquire lock/i, "locked"],
];

export function classifyPctFailure(command: string, stderr: string, code: number | null): RuntimeError {
  const text = stderr.trim() || `exit code ${code}`;
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return new RuntimeError(kind, `${command}: ${text}`);
  return new RuntimeError("other", `${command}: ${text}`);
}
