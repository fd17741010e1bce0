import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";

/**
 * Where installer cgroups are made, found once per process from
 * /proc/self/mountinfo and /proc/self/cgroup (cgroupLayout):
 *  - `v2`: a unified hierarchy with the memory controller (Debian 12 and
 *    Proxmox with systemd). The control plane's own cgroup, delegated to it
 *    (the unit's `Delegate=memory pids`), `own`; children go in it, beside
 *    the leaf the control plane moves itself into (prepareV2).
 *  - `v1`: a memory hierarchy of its own (cgroup v1, or hybrid with v1
 *    controllers): children of our own memory cgroup, and of our pids cgroup
 *    where that is writable.
 */
export type CgroupLayout = { kind: "v2"; own: string; pids: boolean; root: boolean } | { kind: "v1"; memory: string; pids: string | null } | { kind: "none"; why: string };

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

/** The leaf the control plane moves itself into on cgroup v2: a cgroup with controllers enabled for children may hold no process. */
const CONTROL_PLANE_LEAF = "control-plane";
const PREFIX = "neoforge-installer-";
/** rmdir of a cgroup whose last process is still being reaped is EBUSY for a moment: retried this often, this long. */
const RMDIR_TRIES = 50;
const RMDIR_PAUSE_MS = 100;

/**
 * Reads where the memory (and pids) controller of this process is
 * mounted and which cgroup it is in; pure, for the two files' text. A v1
 * memory hierarchy wins (hybrid: the unified one then has no memory
 * controller); else the unified hierarchy if its root offers memory
 * (`v2Controllers`: a cgroup directory's cgroup.controllers), with pids
 * where our own cgroup has it: what systemd delegated to us (Delegate=),
 * not what the root offers, is what we can enable for children.
 */
export function cgroupLayout(mountinfo: string, selfCgroup: string, v2Controllers: (dir: string) => string[]): CgroupLayout {
  const mounts = mountinfo.split("\n").flatMap((line) => {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) return [];
    const f = pre.split(" ");
    const [fstype, , superOptions = ""] = post.split(" ");
    return [{ root: unoctal(f[3] ?? ""), point: unoctal(f[4] ?? ""), fstype, options: superOptions.split(",") }];
  });
  const cgroups = selfCgroup.split("\n").flatMap((line) => {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    return m ? [{ controllers: m[2]!.split(","), path: m[3]! }] : [];
  });
  const v1 = (controller: string) => {
    const mount = mounts.find((m) => m.fstype === "cgroup" && m.options.includes(controller));
    const own = cgroups.find((c) => c.controllers.includes(controller));
    return mount && own ? inMount(mount, own.path) : null;
  };
  const memory = v1("memory");
  if (memory) return { kind: "v1", memory, pids: v1("pids") };
  const unified = mounts.find((m) => m.fstype === "cgroup2");
  const own = cgroups.find((c) => c.controllers.length === 1 && c.controllers[0] === "");
  if (!unified || !own) return { kind: "none", why: "this machine has no memory cgroup controller mounted" };
  const offered = v2Controllers(unified.point);
  if (!offered.includes("memory")) return { kind: "none", why: `the cgroup v2 hierarchy at ${unified.point} offers no memory controller` };
  const at = inMount(unified, own.path);
  if (!at) return { kind: "none", why: `this process's cgroup ${own.path} is not under the cgroup v2 mount at ${unified.point}` };
  return { kind: "v2", own: at, pids: v2Controllers(at).includes("pids"), root: at === unified.point };
}

/** Our cgroup's directory: its path is from the hierarchy's root, the mount shows the hierarchy from `root` on. */
function inMount(mount: { root: string; point: string }, path: string): string | null {
  const rel = posix.relative(mount.root, path);
  if (rel.startsWith("..")) return null;
  return posix.join(mount.point, rel);
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
const unoctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/**
 * `detect`, run once and its result kept while it is usable. A failure is
 * not kept: after one (a unit fixed and its cgroup delegated meanwhile, a
 * transient error) the next install looks again rather than being refused
 * until a restart. Concurrent callers share one look.
 */
export function keepUsable(detect: () => Promise<CgroupLayout>): () => Promise<CgroupLayout> {
  let kept: Promise<CgroupLayout> | null = null;
  return async () => {
    const attempt = (kept ??= detect());
    const found = await attempt.catch((err: unknown) => {
      if (kept === attempt) kept = null;
      throw err;
    });
    if (found.kind === "none" && kept === attempt) kept = null;
    return found;
  };
}

/** The layout, found and (cgroup v2) prepared once per process (keepUsable). */
const layout = keepUsable(detect);

async function detect(): Promise<CgroupLayout> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  // Read in place (a cgroupfs file, never blocking) for the directories the pure cgroupLayout asks about.
  const controllers = (dir: string) => {
    try {
      return readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/);
    } catch {
      return [];
    }
  };
  const found = cgroupLayout(mountinfo, await readFile("/proc/self/cgroup", "utf8"), controllers);
  return found.kind === "v2" ? prepareV2(found) : found;
}

/**
 * cgroup v2's no-internal-processes rule: our own cgroup can enable memory
 * and pids for children only once no process is in it. Every process of
 * it (the control plane, and anything it runs) is moved into a leaf child,
 * CONTROL_PLANE_LEAF, then the controllers are enabled; installer cgroups
 * are that leaf's siblings. Done already (we are in the leaf of a cgroup
 * that enables memory: a second look in this process), it is not redone.
 * The root cgroup is exempt from the rule (and holds every other process of
 * the machine or container): nothing is moved out of it.
 */
async function prepareV2(l: Extract<CgroupLayout, { kind: "v2" }>): Promise<CgroupLayout> {
  const enabled = async (dir: string) => (await readFile(join(dir, "cgroup.subtree_control"), "utf8").catch(() => "")).split(/\s+/);
  if (basename(l.own) === CONTROL_PLANE_LEAF && (await enabled(dirname(l.own))).includes("memory")) return { ...l, own: dirname(l.own) };
  const want = l.pids ? "+memory +pids" : "+memory";
  try {
    if (!(await enabled(l.own)).includes("memory") && !l.root) {
      const leaf = join(l.own, CONTROL_PLANE_LEAF);
      await mkdir(leaf).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      // A process started meanwhile lands in our cgroup again: moved on the next round; a gone one is ESRCH.
      for (let round = 0; round < 5; round++) {
        const procs = await pidsIn(l.own);
        if (procs.length === 0) break;
        for (const pid of procs) await writeFile(join(leaf, "cgroup.procs"), String(pid)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ESRCH") throw err;
        });
      }
    }
    if (!(await enabled(l.own)).includes("memory")) await writeFile(join(l.own, "cgroup.subtree_control"), want);
    return l;
  } catch (err) {
    return { kind: "none", why: `the control plane's cgroup ${l.own} is not delegated to it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): with systemd, the unit needs Delegate=memory pids and no ProtectControlGroups=yes` };
  }
}

async function pidsIn(dir: string): Promise<number[]> {
  return (await readFile(join(dir, "cgroup.procs"), "utf8")).split("\n").filter(Boolean).map(Number);
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
  const name = `${PREFIX}${randomBytes(6).toString("hex")}`;
  const made: string[] = [];
  const cgroup = handle(l, made);
  try {
    if (l.kind === "v2") {
      const dir = join(l.own, name);
      await mkdir(dir);
      made.push(dir);
      await writeFile(join(dir, "memory.max"), String(memoryBytes));
      await writeOptional(join(dir, "memory.swap.max"), "0");
      // pids.max is there only where pids is enabled for children (a parent that enabled memory alone has none).
      if (l.pids) await writeOptional(join(dir, "pids.max"), String(maxProcesses));
    } else {
      const dir = join(l.memory, name);
      await mkdir(dir);
      made.push(dir);
      await writeFile(join(dir, "memory.limit_in_bytes"), String(memoryBytes));
      // memsw (memory and swap together; present where swap accounting is on) no higher: no swap beyond the bound.
      await writeOptional(join(dir, "memory.memsw.limit_in_bytes"), String(memoryBytes));
      // pids is a bonus here (RLIMIT_NPROC bounds processes either way): a pids cgroup we may not write is skipped.
      const pidsDir = l.pids ? join(l.pids, name) : null;
      if (pidsDir && (await mkdir(pidsDir).then(() => true, () => false))) {
        made.push(pidsDir);
        await writeFile(join(pidsDir, "pids.max"), String(maxProcesses));
      }
    }
  } catch (err) {
    await cgroup.remove();
    throw new CgroupUnavailableError(`a memory cgroup for the NeoForge installer could not be made under ${l.kind === "v2" ? l.own : l.memory} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
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
      const kills = /^oom_kill (\d+)$/m.exec(text);
      if (kills) return Number(kills[1]) > 0;
      if (l.kind === "v2") return false;
      return Number((await readFile(join(dir, "memory.failcnt"), "utf8").catch(() => "0")).trim()) > 0;
    },
    remove: () => (removed ??= removeAll(dirs)),
  };
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

/** Writes a control file that only some kernels or configurations have: false when it is not there. */
async function writeOptional(path: string, value: string): Promise<boolean> {
  try {
    await writeFile(path, value);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** The installer cgroups under the directories this process would make them in: none may outlive its run. */
export async function installerCgroupsLeft(): Promise<string[]> {
  const l = await layout();
  const parents = l.kind === "v2" ? [l.own] : l.kind === "v1" ? [l.memory, ...(l.pids ? [l.pids] : [])] : [];
  const left: string[] = [];
  for (const p of parents) for (const e of await readdir(p).catch(() => [])) if (e.startsWith(PREFIX)) left.push(join(p, e));
  return left;
}
