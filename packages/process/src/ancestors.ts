import { readFileSync } from "node:fs";
import { basename } from "node:path";

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
  const stat = read(`/proc/${pid}/stat`);
  return stat === null ? null : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== null && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

const LAUNCHER = /^(pnpm|pnpm\.c?js|npm|npm-cli\.js|npx|npx-cli\.js|tsx)$/;

/** A package manager or tsx's launcher: `pnpm dev`, `node /usr/bin/pnpm dev`, `node .../npm-cli.js run dev`, `node .../tsx/dist/cli.mjs`. */
export function isLauncher(argv: readonly string[]): boolean {
  const [program = "", ...rest] = argv;
  if (LAUNCHER.test(basename(program))) return true;
  if (!/^node(js)?$/.test(basename(program))) return false;
  // node's first argument that is not an option, nor the value of one (`--import tsx`).
  const script = rest.find((a, i) => !a.startsWith("-") && !/^(--import|--require|-r|--loader|--experimental-loader)$/.test(rest[i - 1] ?? ""));
  return script !== undefined && (LAUNCHER.test(basename(script)) || /\/tsx\/dist\/cli\.mjs$/.test(script));
}

/**
 * The processes between this one and the launcher that started it (pnpm,
 * npm or tsx), the launcher included; empty when no launcher is among the
 * ancestors (started by a shell, setsid or a supervisor directly).
 */
export function launcherChain(): number[] {
  const chain: number[] = [];
  for (let pid = parentOf(process.pid); pid !== null && pid > 1 && chain.length < 32; pid = parentOf(pid)) {
    chain.push(pid);
    const cmdline = read(`/proc/${pid}/cmdline`);
    if (cmdline !== null && isLauncher(cmdline.split("\0"))) return chain;
  }
  return [];
}

/**
 * Calls `onGone` once, when the launcher that started this process (or a
 * process between the two) has exited. `pnpm dev` runs as pnpm -> node, and
 * `kill -TERM <pnpm>` ends pnpm without passing the signal on: nothing tells
 * this process to stop, which left the control plane, its port and the
 * agents running. Watching the chain turns "my launcher is gone" into the
 * same graceful stop as a signal. Nothing above the launcher is watched: a
 * shell that started `setsid pnpm dev &` and exited must not stop it.
 * Linux (/proc); elsewhere it does nothing. The returned function stops watching.
 */
export function onAncestorExit(onGone: () => void, intervalMs = 500): () => void {
  const chain = launcherChain();
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    if (chain.every(alive)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
