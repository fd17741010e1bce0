import { readFileSync } from "node:fs";

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return null;
    }
  })();
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/**
 * Calls `onGone` once, when any process above this one (up to, not
 * including, init) has exited. `pnpm dev` runs as pnpm -> sh -> tsx -> node,
 * and `kill -TERM <pnpm>` ends pnpm without passing the signal on: sh and
 * tsx live on and nothing tells this process to stop, which left the control
 * plane, its port and the agents running. Watching the chain turns "my
 * launcher is gone" into the same graceful stop as a signal. Linux (/proc);
 * elsewhere it does nothing. The returned function stops watching.
 */
export function onAncestorExit(onGone: () => void, intervalMs = 500): () => void {
  const chain: number[] = [];
  for (let pid = parentOf(process.pid); pid !== null && pid > 1 && chain.length < 32; pid = parentOf(pid)) chain.push(pid);
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    if (chain.every(alive)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
