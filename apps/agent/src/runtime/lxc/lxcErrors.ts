import { RuntimeError, type RuntimeErrorKind } from "../runtime";

/**
 * LXC 5's own wording (lxc-start, lxc-stop, lxc-info, lxc-destroy,
 * lxc-create; seen on Debian 12's lxc 5.0.2), mapped onto the kinds pct's
 * refusals get, so operations read both alike. The tools exit 1 (2 for
 * lxc-stop) for nearly everything: the message is what counts.
 *  - `Container already exists` (lxc-create): `exists`;
 *  - `<n> doesn't exist` (lxc-info), `No container config specified`
 *    (lxc-start), `Container is not defined` (lxc-destroy): `missing`;
 *  - `Container is already running` (lxc-start): `already_running`;
 *  - `<n> is not running` (lxc-stop, also for a missing container, as pct
 *    shutdown): `not_running`;
 *  - `<n> is running` (lxc-destroy): `running`.
 */
const PATTERNS: [RegExp, RuntimeErrorKind][] = [
  [/Container already exists/i, "exists"],
  [/doesn't exist|No container config specified|Container is not defined/i, "missing"],
  [/is already running/i, "already_running"],
  [/is not running/i, "not_running"],
  [/\bis running\b/i, "running"],
];

/** lxc tools prefix each line with `<tool>: <name>: <source file>: <function>: <line> `; the sentence follows. */
const PREFIX = /^lxc-[a-z]+: [^:]+: \S+: \S+: \d+ /gm;

export function classifyLxcFailure(command: string, stderr: string, code: number | null): RuntimeError {
  const text = stderr.replace(PREFIX, "").trim() || `exit code ${code}`;
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return new RuntimeError(kind, `${command}: ${text}`);
  return new RuntimeError("other", `${command}: ${text}`);
}
