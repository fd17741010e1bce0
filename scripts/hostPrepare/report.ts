import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

/** What host:prepare found and did, line by line, and what it could not fix; `quiet`: only collected, nothing printed. */
export class Report {
  readonly missing: string[] = [];
  constructor(private readonly quiet = false) {}
  ok(msg: string): void {
    if (!this.quiet) console.log(`ok       ${msg}`);
  }
  did(msg: string): void {
    if (!this.quiet) console.log(`did      ${msg}`);
  }
  lack(msg: string): void {
    this.missing.push(msg);
    if (!this.quiet) console.log(`missing  ${msg}`);
  }
}

/** A command with a deadline; rejects with its stderr on failure. */
export async function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string; killed?: boolean };
    const why = e.killed ? `did not finish within ${timeoutMs} ms` : (e.stderr?.trim() || e.message);
    throw new Error(`${cmd} ${args.join(" ")}: ${why}`);
  }
}

export async function has(cmd: string): Promise<boolean> {
  try {
    await sh("sh", ["-c", `command -v ${cmd}`], 5_000);
    return true;
  } catch {
    return false;
  }
}
