import { RuntimeError, type RuntimeErrorKind } from "./runtime";

/**
 * Proxmox's own wording (pve-container, pve-common source),
 * mapped to what it means. pct exits 255 (or 2) for nearly everything, so the
 * message is all there is to go on.
 *  - `CT <n> already exists on node 'x'` and `VM <n> already exists on node 'x'`:
 *    the VMID is taken somewhere in the cluster (`exists`; the caller checks
 *    whether it is a container of its own);
 *  - `CT is locked (mounted)`: set by `pct mount`, held until `pct unmount`;
 *    not transient, so not `locked` (`mounted`);
 *  - `can't lock file '...' - got timeout`: a transient config lock (`locked`);
 *  - `unable to destroy CT <n> - container is running` (`running`).
 */
const PATTERNS: [RegExp, RuntimeErrorKind][] = [
  [/already exists/i, "exists"],
  [/Configuration file '[^']*' does not exist|does not exist/i, "missing"],
  [/already running/i, "already_running"],
  [/not running/i, "not_running"],
  [/container is running/i, "running"],
  [/CT is locked \(mounted\)/i, "mounted"],
  [/can't lock file|is locked|got timeout|lock timeout/i, "locked"],
];

/** pve-common's lock helper prints this on stderr even when it then gets the lock: it is no refusal. */
const LOCK_CHATTER = /^trying to acquire lock\.\.\.\s*(OK)?\s*$/gim;

export function classifyPctFailure(command: string, stderr: string, code: number | null): RuntimeError {
  const text = stderr.replace(LOCK_CHATTER, "").trim() || `exit code ${code}`;
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return new RuntimeError(kind, `${command}: ${text}`);
  return new RuntimeError("other", `${command}: ${text}`);
}
