import { readFile } from "node:fs/promises";

/**
 * /proc/<pid>/stat's command and parent, read as hostile text: the command
 * (between the first `(` and the LAST `)`) is whatever the process named
 * itself, spaces and parentheses included, so the fields the kernel writes
 * are taken only after the last `)`: state, then the parent's pid.
 */
export function parseStat(text: string): { comm: string; ppid: number } | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const ppid = text.slice(close + 1).trim().split(" ")[1];
  if (ppid === undefined || !/^\d+$/.test(ppid)) return null;
  // For an operator's message: the kernel bounds it to 15 bytes, but it may hold any byte but NUL.
  const comm = text.slice(open + 1, close).replace(/[^\x20-\x7e]/g, "?");
  return { comm, ppid: Number(ppid) };
}

/** A chain of parents longer than this is no chain (pid_max is at most 4194304, but no real tree is this deep). */
const MAX_DEPTH = 4096;

/**
 * The first of `pids` that is neither `self` nor one of its descendants
 * (its parent chain in /proc reaches `self`), with its command; null when
 * every one is ours. One gone meanwhile is skipped; one whose chain breaks
 * (an ancestor gone mid-walk) counts as foreign: refusing is the safe side.
 */
export async function foreignProcess(pids: number[], self: number): Promise<{ pid: number; comm: string } | null> {
  for (const pid of pids) {
    if (pid === self) continue;
    const first = await statOf(pid);
    if (!first) continue;
    let at = first.ppid;
    for (let depth = 0; at !== self && at > 1 && depth < MAX_DEPTH; depth++) {
      const up = await statOf(at);
      at = up ? up.ppid : 0;
    }
    if (at !== self) return { pid, comm: first.comm };
  }
  return null;
}

async function statOf(pid: number): Promise<{ comm: string; ppid: number } | null> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  return text === null ? null : parseStat(text);
}
