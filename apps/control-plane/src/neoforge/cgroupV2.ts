import { access, mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CONTROL_PLANE_LEAF, type CgroupLayout, type V2Layout } from "./cgroupLayout";
import { foreignProcess } from "./procStat";

/** A process started by one still in our cgroup while we move them lands there again: this many rounds of moving and enabling. */
const ROUNDS = 5;

/**
 * cgroup v2's no-internal-processes rule: our own cgroup can enable
 * `controllers` (memory, and pids where ours has it) for children only once
 * no process is in it. Every process of it is moved into a leaf child,
 * CONTROL_PLANE_LEAF, then the controllers are enabled; installer cgroups
 * are that leaf's siblings. Only processes that are ours are moved: every
 * one must be `self` (the control plane) or its descendant, else nothing is
 * moved (an SSH session's scope holds the operator's shell and sshd; a
 * wrapper shell that did not exec is its parent, not ours). A process that
 * landed in our cgroup between the move and the enable makes the kernel
 * answer EBUSY: checked and moved on the next round. When enabling fails
 * every process is moved back and the leaf removed: nothing half-done
 * stays. Done already (a second look in this process: cgroupLayout took
 * the leaf's parent as ours), it is not redone. Only the hierarchy's real
 * root is exempt from the rule (and holds every other process of the
 * machine): nothing is moved out of it. A cgroup namespace's root looks
 * like it from inside but is not.
 */
export async function prepareV2(l: V2Layout, controllers: string[], self = process.pid): Promise<CgroupLayout> {
  const subtree = join(l.own, "cgroup.subtree_control");
  const leaf = join(l.own, CONTROL_PLANE_LEAF);
  let moved = false;
  try {
    const enabled = (await readFile(subtree, "utf8")).split(/\s+/);
    if (controllers.every((c) => enabled.includes(c))) return l;
    const exempt = !(await present(join(l.own, "cgroup.type")));
    for (let round = 1; ; round++) {
      if (!exempt) {
        const pids = await pidsIn(l.own);
        const foreign = await foreignProcess(pids, self);
        if (foreign) {
          await undo(l.own, leaf, moved);
          return { kind: "none", why: `our cgroup ${l.own} holds processes that are not the control plane's (pid ${foreign.pid}: ${foreign.comm}): run it as its own unit with Delegate=memory pids (ExecStart= the control plane itself, not a shell that stays its parent)` };
        }
        if (!moved) {
          await mkdir(leaf).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "EEXIST") throw err;
          });
          moved = true;
        }
        await moveAll(pids, leaf);
      }
      const result = await writeFile(subtree, controllers.map((c) => `+${c}`).join(" ")).then(
        () => "done" as const,
        (err: NodeJS.ErrnoException) => {
          if (err.code === "EBUSY" && !exempt) return "busy" as const;
          throw err;
        },
      );
      if (result === "done") return l;
      if (round === ROUNDS) {
        await undo(l.own, leaf, moved);
        return { kind: "none", why: `the control plane's cgroup ${l.own} kept gaining processes while they were moved into its leaf (EBUSY after ${ROUNDS} rounds): the next install looks again` };
      }
    }
  } catch (err) {
    await undo(l.own, leaf, moved);
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { kind: "none", why: `the control plane's cgroup ${l.own} is not delegated to it (${code}): with systemd, the unit needs Delegate=memory pids and no ProtectControlGroups=yes` };
  }
}

/** After a refused or failed preparation: every process of the leaf back into our cgroup and the leaf removed, as they were. Never throws. */
async function undo(own: string, leaf: string, moved: boolean): Promise<void> {
  if (!moved) return;
  await moveAll(await pidsIn(leaf).catch(() => []), own).catch(() => {});
  await rmdir(leaf).catch(() => {});
}

/** The kernel gives every cgroup but the hierarchy's root a cgroup.type (and cgroup.events, cgroup.kill): the one mark of the real root. */
async function present(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Each of `pids` into `to`; one gone meanwhile is ESRCH. */
async function moveAll(pids: number[], to: string): Promise<void> {
  for (const pid of pids) {
    await writeFile(join(to, "cgroup.procs"), String(pid)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ESRCH") throw err;
    });
  }
}

export async function pidsIn(dir: string): Promise<number[]> {
  return (await readFile(join(dir, "cgroup.procs"), "utf8")).split("\n").filter(Boolean).map(Number);
}
