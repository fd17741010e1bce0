import { describe, expect, it } from "vitest";
import { parseContainerCgroups, unitCgroupDir } from "../src/runtime/lxc/unitCgroup";

/** Where the game unit's cgroup is on the host, from the container init's /proc/<pid>/cgroup. */
describe("the game unit's cgroup, seen from the host", () => {
  it("on Proxmox (pure cgroup v2): /sys/fs/cgroup/lxc/<vmid>/ns/system.slice/zlh-server.service", () => {
    const cg = parseContainerCgroups("0::/lxc/5100/ns/init.scope\n");
    expect(cg).toEqual({ unified: "/lxc/5100/ns", memoryV1: null });
    expect(unitCgroupDir(cg.unified!, "zlh-server.service", "/sys/fs/cgroup")).toBe("/sys/fs/cgroup/lxc/5100/ns/system.slice/zlh-server.service");
  });

  it("on plain LXC on a v1/v2 hybrid: unified/lxc.payload.<vmid>, and the v1 memory hierarchy's path", () => {
    const cg = parseContainerCgroups("12:memory:/lxc.payload.9910/init.scope\n1:name=systemd:/lxc.payload.9910/init.scope\n0::/lxc.payload.9910/init.scope\n");
    expect(cg).toEqual({ unified: "/lxc.payload.9910", memoryV1: "/lxc.payload.9910" });
    expect(unitCgroupDir(cg.unified!, "zlh-server.service", "/sys/fs/cgroup/unified")).toBe("/sys/fs/cgroup/unified/lxc.payload.9910/system.slice/zlh-server.service");
  });

  it("refuses a unit name that could leave the slice", () => {
    expect(() => unitCgroupDir("/lxc/1/ns", "../../x.service", "/sys/fs/cgroup")).toThrow(/not a service unit name/);
  });
});
