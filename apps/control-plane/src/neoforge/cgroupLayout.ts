import { readFileSync } from "node:fs";
import { basename, dirname, join, posix } from "node:path";

/**
 * Where installer cgroups are made, found once per process from
 * /proc/self/mountinfo and /proc/self/cgroup (cgroupLayout):
 *  - `v2`: a unified hierarchy with the memory controller (Debian 12 and
 *    Proxmox with systemd). The control plane's own cgroup, delegated to it
 *    (the unit's `Delegate=memory pids`), `own`; children go in it, beside
 *    the leaf the control plane moves itself into (prepareV2, cgroupV2.ts).
 *  - `v1`: a memory hierarchy of its own (cgroup v1, or hybrid with v1
 *    controllers): children of our own memory cgroup, and of our pids cgroup
 *    where that is writable.
 */
export type CgroupLayout = V2Layout | { kind: "v1"; memory: string; pids: string | null } | { kind: "none"; why: string };
export type V2Layout = { kind: "v2"; own: string; pids: boolean };

/** The leaf the control plane moves itself into on cgroup v2: a cgroup with controllers enabled for children may hold no process. */
export const CONTROL_PLANE_LEAF = "control-plane";

/**
 * Reads where the memory (and pids) controller of this process is
 * mounted and which cgroup it is in; pure, for the two files' text. A v1
 * memory hierarchy wins (hybrid: the unified one then has no memory
 * controller); else the unified hierarchy if its root offers `controller`
 * (memory; `v2Controllers`: a cgroup directory's list of controllers,
 * cgroup.controllers unless told), with
 * pids where our own cgroup has it: what systemd delegated to us
 * (Delegate=), not what the root offers, is what we can enable for
 * children. In CONTROL_PLANE_LEAF our own cgroup is its parent only where
 * the parent enables `controller` for its children: the state a finished
 * prepareV2 leaves, and only it (a failed one moves us back and removes
 * the leaf; systemd names no cgroup without a .service/.scope/.slice
 * suffix). A cgroup merely named so, under a parent that hands nothing
 * down, is taken as ours itself: its parent is not shown to be.
 */
export function cgroupLayout(mountinfo: string, selfCgroup: string, v2Controllers: (dir: string, list?: ControllerList) => string[], controller = "memory"): CgroupLayout {
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
  const v1 = (name: string) => {
    const mount = mounts.find((m) => m.fstype === "cgroup" && m.options.includes(name));
    const own = cgroups.find((c) => c.controllers.includes(name));
    return mount && own ? inMount(mount, own.path) : null;
  };
  const memory = v1("memory");
  if (memory) return { kind: "v1", memory, pids: v1("pids") };
  const unified = mounts.filter((m) => m.fstype === "cgroup2");
  const own = cgroups.find((c) => c.controllers.length === 1 && c.controllers[0] === "");
  if (unified.length === 0 || !own) return { kind: "none", why: "this machine has no memory cgroup controller mounted" };
  // In a cgroup namespace the host's mount shows a hierarchy from above our namespace's root: only a mount of our own view locates us.
  const mount = unified.find((m) => inMount(m, own.path)) ?? unified[0]!;
  const offered = v2Controllers(mount.point);
  if (!offered.includes(controller)) return { kind: "none", why: `the cgroup v2 hierarchy at ${mount.point} offers no ${controller} controller` };
  const at = inMount(mount, own.path);
  if (!at) return { kind: "none", why: `this process's cgroup ${own.path} is not under the cgroup v2 mount at ${mount.point}` };
  const prepared = basename(at) === CONTROL_PLANE_LEAF && at !== mount.point && v2Controllers(dirname(at), "cgroup.subtree_control").includes(controller);
  const ours = prepared ? dirname(at) : at;
  return { kind: "v2", own: ours, pids: v2Controllers(ours).includes("pids") };
}

/** A cgroup's lists of controllers: those it has (its parent gave it), and those it hands down to its children. */
export type ControllerList = "cgroup.controllers" | "cgroup.subtree_control";

/** A cgroup directory's `list` of controllers, read in place (a cgroupfs file, never blocking) for cgroupLayout; none where it cannot be read. */
export function readControllers(dir: string, list: ControllerList = "cgroup.controllers"): string[] {
  try {
    return readFileSync(join(dir, list), "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * Our cgroup's directory: its path is from the hierarchy's root, the mount
 * shows the hierarchy from `root` on. A root above the hierarchy's (`/..`:
 * a mount made outside our cgroup namespace) shows no path of ours.
 */
function inMount(mount: { root: string; point: string }, path: string): string | null {
  if (mount.root === "/.." || mount.root.startsWith("/../")) return null;
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
