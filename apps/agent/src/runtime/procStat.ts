/**
 * The fields of a /proc/<pid>/stat line (proc(5)), numbered as proc(5)
 * numbers them: `fields[n - 1]` is field n (1 pid, 2 comm, 3 state, 14
 * utime, 22 starttime ...). The command (field 2) is whatever name the
 * process gave itself, up to 15 bytes: a guest's process can call itself
 * `a) 1 2 (b` to shift every field a naive split reads. The kernel writes it
 * in parentheses without escaping, and every later field is a number or a
 * state letter, so the command ends at the LAST ')' and the fields after it
 * are split on single spaces. Null when the line has no such ')' (not a stat
 * line, or cut short).
 */
export function procStatFields(stat: string): string[] | null {
  const open = stat.indexOf(" (");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open || stat[close + 1] !== " ") return null;
  const rest = stat.slice(close + 2).trimEnd();
  if (rest === "") return null;
  return [stat.slice(0, open), stat.slice(open + 2, close), ...rest.split(" ")];
}
