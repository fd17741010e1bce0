import { access, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONTROL_PLANE_LEAF, type CgroupLayout, type V2Layout } from "./cgroupLayout";

/** A process started by one still in our cgroup while we move them lands there again: this many rounds of moving and enabling. */
const ROUNDS = 5;

/**
 * cgroup v2's no-internal-processes rule: our own cgroup can enable
 * `controllers` (memory, and pids where ours has it) for children only once
 * no process is in it. Every process of it (the control plane, and
 * anything it runs) is moved into a leaf child, CONTROL_PLANE_LEAF, then the
 * controllers are enabled; installer cgroups are that leaf's siblings. A
 * process that landed in our cgroup between the move and the enable makes
 * the kernel answer EBUSY: moved on the next round. Done already (a second
 * look in this process: cgroupLayout took the leaf's parent as ours), it
 * is not redone. Only the hierarchy's real root is exempt from the rule
 * (and holds every other process of the machine): nothing is moved out of
 * it. A cgroup namespace's root looks like it from inside but is not.
 */
export async function prepareV2(l: V2Layout, controllers: string[]): Promise<CgroupLayout> {
  const subtree = join(l.own, "cgroup.subtree_control");
  try {
    const enabled = (await readFile(subtree, "utf8")).split(/\s+/);
    if (controllers.every((c) => enabled.includes(c))) return l;
    const exempt = !(await present(join(l.own, "cgroup.type")));
    const leaf = join(l.own, CONTROL_PLANE_LEAF);
    if (!exempt) {
      await mkdir(leaf).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
    }
    for (let round = 1; ; round++) {
      if (!exempt) await moveEvery(l.own, leaf);
      const done = await writeFile(subtree, controllers.map((c) => `+${c}`).join(" ")).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code === "EBUSY" && !exempt && round < ROUNDS) return false;
          throw err;
        },
      );
      if (done) return l;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { kind: "none", why: `the control plane's cgroup ${l.own} is not delegated to it (${code}): with systemd, the unit needs Delegate=memory pids and no ProtectControlGroups=yes` };
  }
}

/** The kernel gives every cgroup but the hierarchy's root a cgroup.type (and cgroup.events, cgroup.kill): the one mark of the real root. */
async function present(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Every process of `from` into `to`; one gone meanwhile is ESRCH. */
async function moveEvery(from: string, to: string): Promise<void> {
  for (const pid of await pidsIn(from)) {
    await writeFile(join(to, "cgroup.procs"), String(pid)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ESRCH") throw err;
    });
  }
}

export async function pidsIn(dir: string): Promise<number[]> {
  return (await readFile(join(dir, "cgroup.procs"), "utf8")).split("\n").filter(Boolean).map(Number);
}
