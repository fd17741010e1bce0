import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRY = resolve(ROOT, "apps/cli/src/main.ts");

export interface ZlhResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running `zlh`: its output so far, and how it ended. Stopped (SIGKILL) by `kill` if a test leaves it. */
export interface ZlhProc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<ZlhResult>;
}

const running = new Set<ChildProcess>();

/**
 * `zlh` as an operator runs it: its own process, only the environment given (plus PATH and a HOME of the test's, so
 * no real ~/.config/zlh is read), stdin closed, not a terminal.
 */
export function startZlh(args: string[], env: Record<string, string>): ZlhProc {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const done = new Promise<ZlhResult>((r) =>
    child.once("close", (code) => {
      running.delete(child);
      r({ code, stdout: out, stderr: err });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, done };
}

export const zlh = (args: string[], env: Record<string, string>) => startZlh(args, env).done;

export function killAllZlh(): void {
  for (const c of running) c.kill("SIGKILL");
}
