import { describe, expect, it } from "vitest";
import { cgroupLayout, keepUsable, type CgroupLayout } from "../../src/neoforge/cgroupLayout";

/** /proc/self/mountinfo lines as the kernel writes them (the fields before ` - ` elided to what is read). */
const mount = (root: string, point: string, fstype: string, superOptions: string) => `30 23 0:26 ${root} ${point} rw,nosuid,nodev,noexec,relatime shared:4 - ${fstype} ${fstype} ${superOptions}`;
const offers = (list: string[]) => () => list;

describe("where the NeoForge installer's memory cgroup is made (cgroupLayout)", () => {
  it("cgroup v2 with systemd (Debian 12, Proxmox): under the service's own cgroup, from /proc/self/cgroup's 0:: line", () => {
    const info = [mount("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate,memory_recursiveprot")].join("\n");
    expect(cgroupLayout(info, "0::/system.slice/zlh-control-plane.service\n", offers(["cpuset", "cpu", "io", "memory", "pids"]))).toEqual({
      kind: "v2",
      own: "/sys/fs/cgroup/system.slice/zlh-control-plane.service",
      pids: true,
    });
    // The hierarchy's top (a container's own, or the real root): children are made in it (whether anything is moved out is prepareV2's to find out).
    expect(cgroupLayout(info, "0::/\n", offers(["memory"]))).toEqual({ kind: "v2", own: "/sys/fs/cgroup", pids: false });
  });

  it("takes the parent of the control-plane leaf as ours only where that parent hands the controller down (a finished preparation); else the leaf itself", () => {
    const info = mount("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate");
    const own = "/sys/fs/cgroup/system.slice/zlh-control-plane.service";
    const lists = (dirs: Record<string, string[]>) => (dir: string, list = "cgroup.controllers") => dirs[`${dir} ${list}`] ?? [];
    const self = "0::/system.slice/zlh-control-plane.service/control-plane\n";
    // The leaf's own controllers are what its parent enabled: pids is read from the parent's.
    const prepared = lists({ "/sys/fs/cgroup cgroup.controllers": ["memory", "pids"], [`${own} cgroup.controllers`]: ["memory", "pids"], [`${own} cgroup.subtree_control`]: ["memory", "pids"], [`${own}/control-plane cgroup.controllers`]: ["memory", "pids"] });
    expect(cgroupLayout(info, self, prepared)).toEqual({ kind: "v2", own, pids: true });
    // Someone else's cgroup that happens to be named so, its parent handing down nothing: not shown to be ours, so the leaf itself is.
    const named = lists({ "/sys/fs/cgroup cgroup.controllers": ["memory", "pids"], [`${own} cgroup.controllers`]: ["memory", "pids"], [`${own}/control-plane cgroup.controllers`]: [] });
    expect(cgroupLayout(info, self, named)).toEqual({ kind: "v2", own: `${own}/control-plane`, pids: false });
    // Its parent handing down another controller, not the one asked for: not a preparation of ours either.
    const other = lists({ "/sys/fs/cgroup cgroup.controllers": ["memory", "pids"], [`${own} cgroup.subtree_control`]: ["pids"], [`${own}/control-plane cgroup.controllers`]: ["pids"] });
    expect(cgroupLayout(info, self, other)).toEqual({ kind: "v2", own: `${own}/control-plane`, pids: true });
    // A cgroup namespace's root named so is ours, not its parent (which the namespace does not show).
    expect(cgroupLayout(mount("/", "/sys/fs/cgroup/control-plane", "cgroup2", "rw"), "0::/\n", offers(["memory"]))).toEqual({ kind: "v2", own: "/sys/fs/cgroup/control-plane", pids: false });
  });

  it("finds no cgroup of ours in a mount made outside our cgroup namespace (its root shows as /..), and takes one of our own view", () => {
    // `unshare --cgroup` without a fresh mount: the kernel's mountinfo for this very case (seen on this machine).
    const host = "41 31 0:38 /.. /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw";
    expect(cgroupLayout(host, "0::/\n", offers(["memory"]))).toEqual({ kind: "none", why: "this process's cgroup / is not under the cgroup v2 mount at /sys/fs/cgroup/unified" });
    expect(cgroupLayout("60 50 0:38 /../../a /x rw - cgroup2 cgroup2 rw", "0::/\n", offers(["memory"]))).toMatchObject({ kind: "none" });
    const fresh = `${host}\n66 46 0:38 / /tmp/ns rw,relatime - cgroup2 none rw`;
    expect(cgroupLayout(fresh, "0::/\n", offers(["memory"]))).toEqual({ kind: "v2", own: "/tmp/ns", pids: false });
  });

  it("takes pids from our own cgroup's controllers, not the root's: a unit with Delegate=memory alone is bounded by memory only", () => {
    const info = mount("/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate");
    const own = "/sys/fs/cgroup/system.slice/zlh-control-plane.service";
    const byDir = (dirs: Record<string, string[]>) => (dir: string) => dirs[dir] ?? [];
    const self = "0::/system.slice/zlh-control-plane.service\n";
    expect(cgroupLayout(info, self, byDir({ "/sys/fs/cgroup": ["memory", "pids"], [own]: ["memory"] }))).toEqual({ kind: "v2", own, pids: false });
    expect(cgroupLayout(info, self, byDir({ "/sys/fs/cgroup": ["memory", "pids"], [own]: ["memory", "pids"] }))).toEqual({ kind: "v2", own, pids: true });
  });

  it("cgroup v1 or hybrid (this machine's kind): our memory cgroup, and our pids cgroup, even with an empty unified hierarchy", () => {
    const info = [
      mount("/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
      mount("/", "/sys/fs/cgroup/pids", "cgroup", "rw,pids"),
      mount("/", "/sys/fs/cgroup/unified", "cgroup2", "rw"),
    ].join("\n");
    const self = "9:name=systemd:/\n8:pids:/user.slice\n4:memory:/process_api/abc\n0::/\n";
    expect(cgroupLayout(info, self, offers([]))).toEqual({ kind: "v1", memory: "/sys/fs/cgroup/memory/process_api/abc", pids: "/sys/fs/cgroup/pids/user.slice" });
  });

  it("reads a mount that shows the hierarchy from below its root (a container's), and escaped paths", () => {
    const info = mount("/lxc/101", "/sys/fs/cgroup/mem\\040ory", "cgroup", "rw,memory");
    expect(cgroupLayout(info, "4:memory:/lxc/101/ns\n", offers([]))).toEqual({ kind: "v1", memory: "/sys/fs/cgroup/mem ory/ns", pids: null });
    // Our cgroup outside what the mount shows: no directory of it to make children in.
    expect(cgroupLayout(mount("/lxc/101", "/sys/fs/cgroup", "cgroup2", "rw"), "0::/lxc/102\n", offers(["memory"]))).toMatchObject({ kind: "none" });
  });

  it("finds none without a memory controller: the install is then refused (or run with 0, its heap's bound only)", () => {
    expect(cgroupLayout(mount("/", "/sys/fs/cgroup", "cgroup2", "rw"), "0::/\n", offers(["cpu", "pids"]))).toEqual({ kind: "none", why: "the cgroup v2 hierarchy at /sys/fs/cgroup offers no memory controller" });
    expect(cgroupLayout("", "", offers([]))).toEqual({ kind: "none", why: "this machine has no memory cgroup controller mounted" });
  });
});

describe("the layout kept for the process (keepUsable)", () => {
  const usable: CgroupLayout = { kind: "v2", own: "/sys/fs/cgroup/zlh", pids: true };

  it("looks again after a layout with no cgroup, or a failed look, and keeps the first usable one", async () => {
    const answers: (CgroupLayout | Error)[] = [{ kind: "none", why: "not delegated" }, new Error("EIO"), usable, { kind: "none", why: "never asked" }];
    let looks = 0;
    const layout = keepUsable(async () => {
      const a = answers[looks++]!;
      if (a instanceof Error) throw a;
      return a;
    });
    expect(await layout()).toEqual({ kind: "none", why: "not delegated" });
    await expect(layout()).rejects.toThrow("EIO");
    expect(await layout()).toEqual(usable);
    expect(await layout()).toEqual(usable);
    expect(looks).toBe(3);
  });

  it("shares one look between concurrent callers", async () => {
    let looks = 0;
    const layout = keepUsable(async () => {
      looks++;
      return usable;
    });
    await Promise.all([layout(), layout(), layout()]);
    expect(looks).toBe(1);
  });
});
