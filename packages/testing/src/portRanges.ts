import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** This module instance: a test file (vitest re-imports it per file, in a worker process that runs one file at a time). */
const INSTANCE = randomBytes(8).toString("hex");
const CLAIMS = join(tmpdir(), "zlh-test-port-ranges");
const SIZE = 500;
/** 20000-64999, without pnpm dev's default range (40000-44999: the dev-loop test runs `pnpm dev` beside the others). */
const STARTS = Array.from({ length: 90 }, (_, i) => 20_000 + i * SIZE).filter((s) => s + SIZE <= 40_000 || s >= 45_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the claim file's owner may still be using its range: another live process, or this process's current file. */
function held(file: string): boolean {
  try {
    const [pid, instance] = readFileSync(file, "utf8").split(" ");
    if (Number(pid) === process.pid) return instance === INSTANCE;
    return alive(Number(pid));
  } catch {
    return false;
  }
}

/**
 * A ZLH_PORT_RANGE no other control plane on this machine is using. Test
 * files run in parallel (vitest's workers, its projects, and sometimes two
 * test runs at once), and their sim servers listen on addresses derived
 * from the VMID, which every file's database starts at 5000: two files on
 * one range would answer each other's status pings. So a range is claimed
 * across processes with an exclusive create in the temp directory; a claim
 * is free again once its process is gone, or, in the worker that made it,
 * once that worker runs its next file.
 */
export function nextPortRange(): string {
  mkdirSync(CLAIMS, { recursive: true });
  for (const start of STARTS) {
    const file = join(CLAIMS, String(start));
    const mine = `${process.pid} ${INSTANCE}`;
    try {
      writeFileSync(file, mine, { flag: "wx" });
      return `${start}-${start + SIZE - 1}`;
    } catch {
      if (held(file)) continue;
      // A stale claim: take it over, then check no other process took it over at the same time.
      writeFileSync(file, mine);
      if (readFileSync(file, "utf8") === mine) return `${start}-${start + SIZE - 1}`;
    }
  }
  throw new Error(`no free test port range left in ${CLAIMS} (${STARTS.length} ranges of ${SIZE}, all held by live test processes)`);
}
