import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_PLANE_LEAF, cgroupLayout, readControllers, type V2Layout } from "../../src/neoforge/cgroupLayout";
import { pidsIn, prepareV2 } from "../../src/neoforge/cgroupV2";
import { foreignProcess } from "../../src/neoforge/procStat";
import { CgroupUnavailableError, flatKeyed, installerCgroupsUnder, installerCgroupV2 } from "../../src/neoforge/memoryCgroup";
import { removeTree, sweepDeadRuns, takeOverDeadMark } from "./cgroupV2TestRun";
import { unifiedOnly } from "./unifiedView";

/**
 * The installer cgroup's v2 path on the kernel's real cgroup2 interface.
 * This machine (and CI's) is a v1/v2 hybrid: memory and pids are bound to
 * v1, and the unified hierarchy's root offers only hugetlb. So the very
 * code production runs with memory (and pids) runs here with hugetlb: the
 * no-internal-processes rule, subtree_control, cgroup.kill and removal are
 * the kernel's own whatever the controller; what the memory controller
 * itself does is proven on v1 (installerMemory.test.ts) only.
 *
 * Everything happens in a cgroup of this file's own under the unified
 * root, named with this run's pid; every cgroup and process it makes is
 * removed after each test, and a test whose installer cgroup is still
 * there afterwards fails. A run killed midway (SIGKILL, a killed worker)
 * is cleaned up by the next: its cgroup (its run's pid gone) is swept, and
 * hugetlb it enabled at the root (MARKER names the run) is taken over and
 * put back. Its processes are `sleep 120`s: they end by themselves.
 */
const CONTROLLER = "hugetlb";
const repo = resolve(import.meta.dirname, "../../../..");
const unified = unifiedOnly(await readFile("/proc/self/mountinfo", "utf8"))
  .split("\n")
  .map((line) => line.split(" "))
  .find((f) => f[3] === "/")?.[4];
const BASE_PREFIX = "zlh-test-cgroupv2-";
const base = join(unified ?? "/nonexistent", `${BASE_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
/** Holds the pid of the run that enabled hugetlb at the unified root; there while that is not put back. */
const MARKER = join(tmpdir(), "zlh-test-cgroupv2-hugetlb-enabled-by");
const SLEEP = ["sleep", "120"];
const children = new Set<ChildProcess>();
let enabledAtRoot = false;

const cgroupOf = async (pid: number) => readFile(`/proc/${pid}/cgroup`, "utf8");
const subtree = async (dir: string) => (await readFile(join(dir, "cgroup.subtree_control"), "utf8")).trim().split(/\s+/).filter(Boolean);
/** Whether `pid` runs: not gone and not a zombie (/proc/<pid>/stat's state, after the command's closing parenthesis). */
const alive = async (pid: number) => {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat !== "" && !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3));
};
const exists = (path: string) => access(path).then(() => true, () => false);
/** tsx's loader, for `node --import`: the fixture runs as node itself, one process. */
const tsxLoader = join(repo, "node_modules/tsx/dist/loader.mjs");

/** The control plane's stand-in (test/fixtures/cgroupV2Prepare.ts) started in `own` with `count` children of its own; what it saw. */
async function standIn(own: string, count: number): Promise<{ child: ChildProcess; seen: { pid: number; children: number[]; first: { found: unknown; prepared: unknown }; second: { found: unknown; prepared: unknown } } }> {
  const fixture = join(import.meta.dirname, "../fixtures/cgroupV2Prepare.ts");
  // One process, node itself (tsx's command would be a parent that is not the control plane's): moved in by its shell, then exec'd.
  const child = spawn("sh", ["-c", `echo $$ > '${own}/cgroup.procs' && exec node --import '${tsxLoader}' '${fixture}' ${CONTROLLER} ${count}`], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  while (!out.includes("\n")) {
    const [ended] = await Promise.race([once(child.stdout!, "data").then(() => [false]), once(child, "exit").then(() => [true])]);
    if (ended && !out.includes("\n")) throw new Error(`the stand-in exited without a report: ${out}`);
  }
  return { child, seen: JSON.parse(out) };
}

/** A process standing for "the control plane and what it runs", put in `cgroup`. */
async function startIn(cgroup: string, command = SLEEP): Promise<ChildProcess> {
  const child = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  await once(child, "spawn");
  await writeFile(join(cgroup, "cgroup.procs"), String(child.pid));
  return child;
}

/** The layout the control plane finds for a process of `own`, from the kernel's files (its v1 mounts left out: a pure v2 machine's view). */
async function layoutOf(pid: number): Promise<V2Layout> {
  const found = cgroupLayout(unifiedOnly(await readFile("/proc/self/mountinfo", "utf8")), await cgroupOf(pid), readControllers, CONTROLLER);
  if (found.kind !== "v2") throw new Error(`expected a v2 layout, found ${JSON.stringify(found)}`);
  return found;
}

async function newOwn(name: string): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir);
  return dir;
}

async function stopChildren(): Promise<void> {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    }
  }
  children.clear();
}

beforeAll(async () => {
  if (!unified) throw new Error("this machine has no cgroup2 mount of the hierarchy's root: the v2 path cannot be run on a real interface");
  const offered = readControllers(unified);
  if (!offered.includes(CONTROLLER)) throw new Error(`the cgroup v2 root ${unified} offers ${offered.join(" ") || "nothing"}, not ${CONTROLLER}: this file needs the hybrid machine CI runs on`);
  // A killed run's leftovers: its processes killed, its cgroups removed; the hugetlb it enabled at the root becomes ours to put back.
  await sweepDeadRuns(unified, BASE_PREFIX);
  enabledAtRoot = await takeOverDeadMark(MARKER, (await subtree(unified)).includes(CONTROLLER), process.pid);
  await mkdir(base);
  // The root is exempt from the no-internal-processes rule: hugetlb enabled for its children (no process moves); put back as found afterwards.
  // Another run of this file (another checkout) may take it back between the two writes (ENOENT below): enabled again, then.
  for (let tries = 1; ; tries++) {
    if (!(await subtree(unified)).includes(CONTROLLER)) {
      // Marked first: a run killed right after the write still leaves a mark for the next.
      await writeFile(MARKER, String(process.pid));
      await writeFile(join(unified, "cgroup.subtree_control"), `+${CONTROLLER}`);
      enabledAtRoot = true;
    }
    const enabled = await writeFile(join(base, "cgroup.subtree_control"), `+${CONTROLLER}`).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT" || tries === 3) throw err;
        return false;
      },
    );
    if (enabled) break;
  }
});

afterEach(async () => {
  // What the code under test left (its installer cgroups must be gone), before everything is removed regardless.
  const left: string[] = [];
  for (const e of await readdir(base, { withFileTypes: true })) {
    if (e.isDirectory()) left.push(...(await installerCgroupsUnder({ kind: "v2", own: join(base, e.name), pids: false })));
  }
  await stopChildren();
  for (const e of await readdir(base, { withFileTypes: true })) if (e.isDirectory()) await removeTree(join(base, e.name));
  expect(left).toEqual([]);
});

afterAll(async () => {
  await stopChildren();
  await removeTree(base);
  // Another run of this file (another checkout) still using it below is EBUSY: then it stays (that run found it enabled, so leaves it), as harmless as it was to enable.
  if (enabledAtRoot) {
    const putBack = await writeFile(join(unified!, "cgroup.subtree_control"), `-${CONTROLLER}`).then(() => true, () => false);
    // Put back: no mark. Still in use (EBUSY): the mark stays, and the run that finds it when ours is gone puts it back.
    if (putBack && (await readFile(MARKER, "utf8").catch(() => "")).trim() === String(process.pid)) await rm(MARKER, { force: true });
  }
});

describe("the installer cgroup's cgroup v2 path on the kernel's real cgroup2 interface", () => {
  it("moves the control plane and its descendants into the control-plane leaf and enables the controller there; a second look redoes nothing", async () => {
    const own = await newOwn("moved");
    const { seen } = await standIn(own, 2);
    const l = { kind: "v2", own, pids: false };
    expect(seen.first).toEqual({ found: l, prepared: l });
    const leaf = join(own, CONTROL_PLANE_LEAF);
    expect(await pidsIn(own)).toEqual([]);
    // Its own children, and whatever else descends from it (tsx's esbuild service): all moved, and only those.
    const moved = await pidsIn(leaf);
    expect(moved).toEqual(expect.arrayContaining([seen.pid, ...seen.children]));
    expect(await foreignProcess(moved, seen.pid)).toBeNull();
    expect(await subtree(own)).toEqual([CONTROLLER]);
    expect(readControllers(leaf)).toEqual([CONTROLLER]);
    // The rule the leaf is for, as the kernel enforces it: no process may join a cgroup that hands a controller to its children.
    const c = spawn(SLEEP[0]!, SLEEP.slice(1), { stdio: "ignore" });
    children.add(c);
    await once(c, "spawn");
    await expect(writeFile(join(own, "cgroup.procs"), String(c.pid))).rejects.toMatchObject({ code: "EBUSY" });

    // The second look, from the leaf: our cgroup is its parent, prepared already, nothing nested or moved.
    expect(await cgroupOf(seen.pid)).toContain(`0::${own.slice(unified!.length)}/${CONTROL_PLANE_LEAF}\n`);
    expect(seen.second).toEqual({ found: l, prepared: l });
    expect((await readdir(leaf, { withFileTypes: true })).filter((e) => e.isDirectory())).toEqual([]);
  });

  it("refuses, moving nothing, where our cgroup holds a process that is not the control plane's nor its descendant (an SSH session's shell)", async () => {
    const own = await newOwn("foreign");
    const shell = await startIn(own); // the test's child: no descendant of the stand-in
    const { seen } = await standIn(own, 1);
    const why = `our cgroup ${own} holds processes that are not the control plane's (pid ${shell.pid}: sleep): run it as its own unit with Delegate=memory pids (ExecStart= the control plane itself, not a shell that stays its parent)`;
    expect(seen.first).toEqual({ found: { kind: "v2", own, pids: false }, prepared: { kind: "none", why } });
    expect((await pidsIn(own)).sort()).toEqual([shell.pid, seen.pid, ...seen.children].sort());
    expect(await exists(join(own, CONTROL_PLANE_LEAF))).toBe(false);
    expect(await subtree(own)).toEqual([]);
  });

  it("refuses a controller our cgroup was not given (+memory here) with the not-delegated message, moving everything back and removing the leaf; the next look succeeds from our cgroup", async () => {
    const own = await newOwn("refused");
    const a = await startIn(own);
    const l = await layoutOf(a.pid!);
    // The kernel's answer to +memory where memory is not this hierarchy's: ENOENT, after our processes moved into the leaf.
    expect(await prepareV2(l, ["memory"])).toEqual({
      kind: "none",
      why: `the control plane's cgroup ${own} is not delegated to it (ENOENT): with systemd, the unit needs Delegate=memory pids and no ProtectControlGroups=yes`,
    });
    expect(await subtree(own)).toEqual([]);
    expect(await pidsIn(own)).toEqual([a.pid]);
    expect(await exists(join(own, CONTROL_PLANE_LEAF))).toBe(false);

    const later = await startIn(own);
    const next = await layoutOf(a.pid!);
    expect(next).toEqual(l);
    expect(await prepareV2(next, [CONTROLLER])).toEqual(l);
    expect(await pidsIn(own)).toEqual([]);
    expect((await pidsIn(join(own, CONTROL_PLANE_LEAF))).sort()).toEqual([a.pid, later.pid].sort());
    expect(await subtree(own)).toEqual([CONTROLLER]);
  });

  it("takes a cgroup merely named control-plane, its parent handing nothing down, as ours itself, not its parent", async () => {
    const parent = await newOwn("named");
    const named = join(parent, CONTROL_PLANE_LEAF);
    await mkdir(named);
    const a = await startIn(named);
    expect(await layoutOf(a.pid!)).toEqual({ kind: "v2", own: named, pids: false });
  });

  it("makes the installer's cgroup beside the leaf with its limit, and removes it with a live process tree in it (cgroup.kill)", async () => {
    const own = await newOwn("installer");
    const l = await layoutOf((await startIn(own)).pid!);
    await prepareV2(l, [CONTROLLER]);
    const limit = "hugetlb.2MB.max";
    const cgroup = await installerCgroupV2(l, [
      { file: limit, value: String(2 * 1024 * 1024) },
      // Absent where memory is not enabled: skipped (cgroupfs answers a write to it with EACCES, not ENOENT).
      { file: "memory.swap.max", value: "0", optional: true },
    ]);
    const [dir, ...more] = await installerCgroupsUnder(l);
    expect(more).toEqual([]);
    expect(dir).toMatch(new RegExp(`^${own}/neoforge-installer-[0-9a-f]{12}$`));
    expect((await readFile(join(dir!, limit), "utf8")).trim()).toBe(String(2 * 1024 * 1024));

    // The sandbox's stand-in: joined first, then it starts a child, born in the cgroup.
    const sh = spawn("sh", ["-c", "read go; sleep 120 & echo $!; wait"], { stdio: ["pipe", "pipe", "inherit"] });
    children.add(sh);
    await once(sh, "spawn");
    await cgroup.join([sh.pid!]);
    sh.stdin!.write("\n");
    const [line] = (await once(sh.stdout!, "data")) as [Buffer];
    const sleepPid = Number(line.toString().trim());
    expect(await cgroupOf(sleepPid)).toContain(`0::${dir!.slice(unified!.length)}\n`);
    expect((await pidsIn(dir!)).sort()).toEqual([sh.pid, sleepPid].sort());
    // The kernel's flat-keyed files, read as memory.events is: the real format.
    expect(flatKeyed(await readFile(join(dir!, "cgroup.events"), "utf8"), "populated")).toBe(1);
    expect(flatKeyed(await readFile(join(dir!, "hugetlb.2MB.events"), "utf8"), "max")).toBe(0);
    expect(await cgroup.oomKilled()).toBe(false); // no memory.events here: no kill seen

    const exited = once(sh, "exit");
    await cgroup.remove();
    expect(await exited).toEqual([null, "SIGKILL"]);
    expect(await alive(sleepPid)).toBe(false); // its parent gone, a zombie until init reaps it, or gone already
    expect(await exists(dir!)).toBe(false);
    expect(await installerCgroupsUnder(l)).toEqual([]);
    await cgroup.remove(); // again: nothing
  });

  it("reads oom_kill from the kernel's own flat-keyed memory file, as oomKilled does (v1's memory.oom_control here: memory.events has the same format)", async () => {
    const v1 = cgroupLayout(await readFile("/proc/self/mountinfo", "utf8"), await readFile("/proc/self/cgroup", "utf8"), readControllers);
    if (v1.kind !== "v1") throw new Error(`expected this hybrid machine's v1 memory hierarchy, found ${JSON.stringify(v1)}`);
    const text = await readFile(join(v1.memory, "memory.oom_control"), "utf8");
    expect(flatKeyed(text, "oom_kill")).toBe(Number(/^oom_kill (\d+)$/m.exec(text)![1]));
    expect(flatKeyed(text, "under_oom")).toBe(0);
    expect(flatKeyed(text, "oom")).toBeNull(); // a key is matched whole, not as a prefix of oom_kill
  });

  it("refuses a limit file the hierarchy lacks, and leaves no cgroup behind", async () => {
    const own = await newOwn("unmade");
    const l = await layoutOf((await startIn(own)).pid!);
    await prepareV2(l, [CONTROLLER]);
    const err = await installerCgroupV2(l, [{ file: "memory.max", value: "1073741824" }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CgroupUnavailableError);
    expect((err as Error).message).toBe(`a memory cgroup for the NeoForge installer could not be made under ${own} (EACCES)`);
    expect(await installerCgroupsUnder(l)).toEqual([]);
  });

  it("sweeps a killed run's cgroup (its processes killed) but not a live run's, and takes over a dead run's hugetlb mark", async () => {
    const gone = spawn("true");
    await once(gone, "exit");
    const dead = join(unified!, `${BASE_PREFIX}${gone.pid}-killed`);
    await mkdir(join(dead, "moved"), { recursive: true });
    const orphan = await startIn(join(dead, "moved"));
    const exited = once(orphan, "exit");
    expect(await sweepDeadRuns(unified!, BASE_PREFIX)).toEqual([`${BASE_PREFIX}${gone.pid}-killed`]);
    expect(await exited).toEqual([null, "SIGKILL"]);
    expect(await exists(dead)).toBe(false);
    expect(await exists(base)).toBe(true); // ours: this run is alive

    const scratch = await mkdtemp(join(tmpdir(), "zlh-mark-"));
    try {
      const mark = join(scratch, "mark");
      await writeFile(mark, String(gone.pid));
      expect(await takeOverDeadMark(mark, true, process.pid)).toBe(true);
      expect(await readFile(mark, "utf8")).toBe(String(process.pid));
      expect(await takeOverDeadMark(mark, true, 1)).toBe(false); // a live run's (ours): left alone
      await writeFile(mark, String(gone.pid));
      expect(await takeOverDeadMark(mark, false, process.pid)).toBe(false); // put back meanwhile: the stale mark goes
      expect(await exists(mark)).toBe(false);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("in a cgroup namespace whose root is our cgroup (/proc/self/cgroup 0::/), moves out of it too: only the hierarchy's real root is exempt", async () => {
    // The kernel's mark of the real root: it alone has no cgroup.type.
    expect(await exists(join(unified!, "cgroup.type"))).toBe(false);
    expect(await exists(join(base, "cgroup.type"))).toBe(true);

    const own = await newOwn("namespaced");
    const view = await mkdtemp(join(tmpdir(), "zlh-cgroupns-"));
    try {
      const fixture = join(import.meta.dirname, "../fixtures/cgroupV2InNamespace.ts");
      // node itself, one process (tsx's command would stay its parent, a process that is not the control plane's).
      const inner = `mount -t cgroup2 none '${view}' && exec node --import '${tsxLoader}' '${fixture}' '${view}' ${CONTROLLER}`;
      const child = spawn("sh", ["-c", `echo $$ > '${own}/cgroup.procs' && exec unshare --cgroup --mount --propagation private sh -c "${inner}"`], { stdio: ["ignore", "pipe", "inherit"] });
      children.add(child);
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      expect(await once(child, "exit")).toEqual([0, null]);
      const seen = JSON.parse(out) as { selfCgroup: string; found: unknown; prepared: unknown };
      expect(seen.selfCgroup).toContain("0::/\n");
      expect(seen.found).toEqual({ kind: "v2", own: view, pids: false });
      expect(seen.prepared).toEqual(seen.found);
      // Seen from outside: the namespace's root handed hugetlb to its children once its processes were in the leaf.
      expect(await subtree(own)).toEqual([CONTROLLER]);
      expect(await exists(join(own, CONTROL_PLANE_LEAF))).toBe(true);
    } finally {
      await rm(view, { recursive: true, force: true });
    }
  });
});
