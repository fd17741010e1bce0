import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { BENCH_VMIDS, lxc } from "./lxcHost";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const PROBE = join(import.meta.dirname, "lxcInventoryProbe.ts");

export interface LxcObservation {
  /** Containers the inventory saw (the benchmark's 50 and any others on this host). */
  containers: number;
  inventoryMs: number;
  syscallsPerInventory: number;
  execsPerInventory: number;
  /** The programs it ran, per inventory: `lxc-info` and never `lxc-attach` (nothing inside a container). */
  programs: Record<string, number>;
}

/**
 * The host-side cost of observing 50 real containers the way the agent does
 * at each heartbeat (the lxc runtime's list()): 50 stopped containers (one
 * made from the template, 49 overlay snapshots of it, `lxc-copy -s`, real
 * containers that could start but share its address, hence stopped); the
 * wall time in this process, and the syscalls and programs executed counted
 * by strace in a probe process (the difference between N inventories and
 * none, divided by N: the probe's own start-up cancels out).
 */
export async function measureLxcObservation(runs: number): Promise<LxcObservation> {
  const rt = new LxcRuntime();
  const [base, ...copies] = [...BENCH_VMIDS].reverse();
  await rt.create({ vmid: base!, hostname: "zlh-bench-base", memoryMiB: 512, cpuCores: 1, diskGiB: 2, description: "zlh-server=bench-observation" });
  for (const vmid of copies) await run("lxc-copy", ["-P", LXC_PATH, "-n", String(base), "-N", String(vmid), "-s", "-B", "overlayfs"], { timeout: 60_000 });
  for (const vmid of BENCH_VMIDS) if (!/STOPPED/.test(await lxc("lxc-info", vmid, ["-s"]))) throw new Error(`bench container ${vmid} is not a stopped container`);

  let containers = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) containers = (await rt.list()).length;
  const inventoryMs = (performance.now() - t0) / runs;
  if (containers < BENCH_VMIDS.length) throw new Error(`the inventory saw ${containers} containers, fewer than the ${BENCH_VMIDS.length} made`);

  const [none, some] = [await traced(0), await traced(runs)];
  const programs: Record<string, number> = {};
  for (const [name, n] of Object.entries(some.programs)) {
    const per = (n - (none.programs[name] ?? 0)) / runs;
    if (per > 0) programs[name] = per;
  }
  return {
    containers,
    inventoryMs,
    syscallsPerInventory: (some.syscalls - none.syscalls) / runs,
    execsPerInventory: (some.execs - none.execs) / runs,
    programs,
  };
}

/** The probe under `strace -f`: every syscall of it and of the programs it runs, and each successful execve by program. */
async function traced(runs: number): Promise<{ syscalls: number; execs: number; programs: Record<string, number> }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-bench-strace-"));
  try {
    const out = join(dir, "trace");
    await run("strace", ["-f", "-qq", "-o", out, process.execPath, "--import", "tsx", PROBE, String(runs)], { cwd: ROOT, timeout: 300_000, maxBuffer: 1024 * 1024 });
    const lines = (await readFile(out, "utf8")).split("\n");
    let syscalls = 0;
    let execs = 0;
    const programs: Record<string, number> = {};
    const pending = new Map<string, string>();
    const count = (path: string) => {
      execs++;
      const name = path.split("/").at(-1)!;
      programs[name] = (programs[name] ?? 0) + 1;
    };
    for (const line of lines) {
      // `<pid> name(args) = result`, or one call split around another process's: `<pid> name(args <unfinished ...>`, later `<pid> <... name resumed>...`.
      if (!/^\d+ +[a-z_0-9]+\(/.test(line)) {
        const resumed = /^(\d+) +<\.\.\. execve resumed>.* = 0$/.exec(line);
        if (resumed && pending.has(resumed[1]!)) count(pending.get(resumed[1]!)!);
        if (resumed) pending.delete(resumed[1]!);
        continue;
      }
      syscalls++;
      const exec = /^(\d+) +execve\("([^"]+)"/.exec(line);
      if (!exec) continue;
      if (/ = 0$/.test(line)) count(exec[2]!);
      else if (/<unfinished \.\.\.>$/.test(line)) pending.set(exec[1]!, exec[2]!);
    }
    return { syscalls, execs, programs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
