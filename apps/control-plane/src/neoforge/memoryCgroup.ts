import { randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cgroupLayout, keepUsable, readControllers, type CgroupLayout, type V2Layout } from "./cgroupLayout";
import { pidsIn, prepareV2 } from "./cgroupV2";

/** The installer's cgroup: made with its bounds before any installer code runs, removed after its last process. */
export interface InstallerCgroup {
  /** Moves these processes (the sandbox's unshare and its init, which runs no installer code yet) in; their children are born in it. */
  join: (pids: number[]) => Promise<void>;
  /** Whether the kernel's OOM killer killed a process in it: the run ran out of its memory bound. */
  oomKilled: () => Promise<boolean>;
  /** Kills whatever is left in it and removes it. Never throws; calling it again does nothing. */
  remove: () => Promise<void>;
}

/** No memory cgroup can be made here: the install is refused (it is retried) rather than run with its heap as its only bound. */
export class CgroupUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CgroupUnavailableError";
  }
}

const PREFIX = "neoforge-installer-";
/** rmdir of a cgroup whose last process is still being reaped is EBUSY for a moment: retried this often, this long. */
const RMDIR_TRIES = 50;
const RMDIR_PAUSE_MS = 100;

/** The layout, found and (cgroup v2) prepared once per process (keepUsable). */
const layout = keepUsable(detect);

async function detect(): Promise<CgroupLayout> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const found = cgroupLayout(mountinfo, await readFile("/proc/self/cgroup", "utf8"), readControllers);
  return found.kind === "v2" ? prepareV2(found, found.pids ? ["memory", "pids"] : ["memory"]) : found;
}

/**
 * A new cgroup for one installer run, bounded to `memoryBytes` of memory
 * (anonymous, the JVM's native memory, the kernel's for it, and the
 * tmpfs pages it writes) with no swap to spill into, and to `maxProcesses`
 * processes where the pids controller is ours. CgroupUnavailableError
 * where none can be made.
 */
export async function installerCgroup(memoryBytes: number, maxProcesses: number): Promise<InstallerCgroup> {
  const l = await layout();
  if (l.kind === "none") throw new CgroupUnavailableError(l.why);
  if (l.kind === "v2") {
    // pids.max is there only where pids is enabled for children (a parent that enabled memory alone has none).
    const pids = l.pids ? [{ file: "pids.max", value: String(maxProcesses), optional: true }] : [];
    return installerCgroupV2(l, [{ file: "memory.max", value: String(memoryBytes) }, { file: "memory.swap.max", value: "0", optional: true }, ...pids]);
  }
  return made(l, l.memory, async (name, dirs) => {
    const dir = join(l.memory, name);
    await mkdir(dir);
    dirs.push(dir);
    await writeFile(join(dir, "memory.limit_in_bytes"), String(memoryBytes));
    // memsw (memory and swap together; present where swap accounting is on) no higher: no swap beyond the bound.
    await writeOptional(join(dir, "memory.memsw.limit_in_bytes"), String(memoryBytes));
    // pids is a bonus here (RLIMIT_NPROC bounds processes either way): a pids cgroup we may not write is skipped.
    const pidsDir = l.pids ? join(l.pids, name) : null;
    if (pidsDir && (await mkdir(pidsDir).then(() => true, () => false))) {
      dirs.push(pidsDir);
      await writeFile(join(pidsDir, "pids.max"), String(maxProcesses));
    }
  });
}

/** A control file of an installer cgroup and its value; `optional`: one only some kernels or configurations have. */
export type CgroupLimit = { file: string; value: string; optional?: boolean };

/**
 * cgroup v2: the run's cgroup in our own (prepareV2 enabled the limits'
 * controllers there), beside the control plane's leaf, its `limits`
 * written: memory's (installerCgroup), or another controller's where a
 * hierarchy has no memory controller to give.
 */
export function installerCgroupV2(l: V2Layout, limits: CgroupLimit[]): Promise<InstallerCgroup> {
  return made(l, l.own, async (name, dirs) => {
    const dir = join(l.own, name);
    await mkdir(dir);
    dirs.push(dir);
    for (const { file, value, optional } of limits) await (optional ? writeOptional(join(dir, file), value) : writeFile(join(dir, file), value));
  });
}

/** Makes a run's cgroup (`make`: its directories, each pushed once made); what was made is removed again when a step fails. */
async function made(l: Exclude<CgroupLayout, { kind: "none" }>, under: string, make: (name: string, dirs: string[]) => Promise<void>): Promise<InstallerCgroup> {
  const dirs: string[] = [];
  const cgroup = handle(l, dirs);
  try {
    await make(`${PREFIX}${randomBytes(6).toString("hex")}`, dirs);
  } catch (err) {
    await cgroup.remove();
    throw new CgroupUnavailableError(`a memory cgroup for the NeoForge installer could not be made under ${under} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return cgroup;
}

function handle(l: Exclude<CgroupLayout, { kind: "none" }>, dirs: string[]): InstallerCgroup {
  let removed: Promise<void> | null = null;
  return {
    join: async (pids) => {
      for (const dir of dirs) for (const pid of pids) await writeFile(join(dir, "cgroup.procs"), String(pid));
    },
    oomKilled: async () => {
      const dir = dirs[0];
      if (!dir) return false;
      // v2: memory.events; v1: memory.oom_control's oom_kill (Linux 4.13+), else any failure to charge within the bound.
      const text = await readFile(join(dir, l.kind === "v2" ? "memory.events" : "memory.oom_control"), "utf8").catch(() => "");
      const kills = flatKeyed(text, "oom_kill");
      if (kills !== null) return kills > 0;
      if (l.kind === "v2") return false;
      return Number((await readFile(join(dir, "memory.failcnt"), "utf8").catch(() => "0")).trim()) > 0;
    },
    remove: () => (removed ??= removeAll(dirs)),
  };
}

/** A cgroup file in the kernel's flat-keyed format (`key value` lines: memory.events, cgroup.events, memory.oom_control): one key's count, null where it is not there. */
export function flatKeyed(text: string, key: string): number | null {
  for (const line of text.split("\n")) {
    const [k, v, extra] = line.trim().split(" ");
    if (k === key && v !== undefined && extra === undefined && /^\d+$/.test(v)) return Number(v);
  }
  return null;
}

/**
 * Each directory: rmdir, and while it is busy (its last processes are
 * still being reaped, or one outlived the sandbox) what is in it killed,
 * with cgroup.kill where the kernel has it (cgroup v2, Linux 5.14+), else
 * by pid, and rmdir again. Never throws: a cgroup that cannot be removed
 * is left to the next look (installerCgroupsLeft), not the run's result.
 */
async function removeAll(dirs: string[]): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    for (let i = 0; i < RMDIR_TRIES; i++) {
      const gone = await rmdir(dir).then(
        () => true,
        (err: NodeJS.ErrnoException) => err.code === "ENOENT",
      );
      if (gone) break;
      // A v1 cgroup has no cgroup.kill, and cgroupfs answers a file it lacks with EACCES: any refusal falls back to pids.
      const killed = await writeFile(join(dir, "cgroup.kill"), "1").then(
        () => true,
        () => false,
      );
      if (!killed) {
        for (const pid of await pidsIn(dir).catch(() => [])) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
      }
      await new Promise((r) => setTimeout(r, RMDIR_PAUSE_MS));
    }
  }
}

/**
 * Writes a control file that only some kernels or configurations have:
 * false when it is not there. Asked first: cgroupfs answers a write to a
 * file it lacks with EACCES (it cannot be created), as it does one refused.
 */
async function writeOptional(path: string, value: string): Promise<boolean> {
  const there = await access(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
  if (there) await writeFile(path, value);
  return there;
}

/** The installer cgroups under the directories this process would make them in: none may outlive its run. */
export async function installerCgroupsLeft(): Promise<string[]> {
  return installerCgroupsUnder(await layout());
}

/** The installer cgroups under `l`'s directories. */
export async function installerCgroupsUnder(l: CgroupLayout): Promise<string[]> {
  const parents = l.kind === "v2" ? [l.own] : l.kind === "v1" ? [l.memory, ...(l.pids ? [l.pids] : [])] : [];
  const left: string[] = [];
  for (const p of parents) for (const e of await readdir(p).catch(() => [])) if (e.startsWith(PREFIX)) left.push(join(p, e));
  return left;
}
