import type { CreateSpec } from "../runtime";
import { BRIDGE, ID_BASE, ID_COUNT, PREFIX_LENGTH } from "./hostLayout";

/**
 * The container's network: a static address (the control plane's, or one
 * the runtime picked on the local-only bridge, then without a gateway), or
 * DHCP on a bridge (the address is then observed, see ../netnsAddress.ts).
 */
export type LxcNetwork = { bridge: string; address: string; prefix: number; gateway: string | null } | { bridge: string; mode: "dhcp" };

/**
 * What the agent asked for (the runtime's CreateSpec, the disk size recorded
 * only: a directory rootfs has no size limit, see docs/real-containers.md)
 * and the network it got, kept in the container's config as `#zlh.` comment
 * lines (LXC ignores comments).
 */
export type LxcContainerSpec = Omit<CreateSpec, "network"> & { network: LxcNetwork };

/** The static address a container's record holds, or null for DHCP. */
export function staticAddress(spec: LxcContainerSpec): string | null {
  return "address" in spec.network ? spec.network.address : null;
}

export type CgroupVersion = 1 | 2;

/** The CPUs a container with `cores` cores may use: the first `cores` of the host's, as a cpuset list. */
export function cpusetFor(cores: number, hostCpus: number): string {
  const n = Math.max(1, Math.min(cores, hostCpus));
  return n === 1 ? "0" : `0-${n - 1}`;
}

/** The cgroup keys for the limits: cgroup v2 names where memory is on the unified hierarchy, v1 names on a hybrid host. */
export function limitKeys(version: CgroupVersion): { memory: string; swap: string; cpuset: string } {
  return version === 2
    ? { memory: "memory.max", swap: "memory.swap.max", cpuset: "cpuset.cpus" }
    : { memory: "memory.limit_in_bytes", swap: "memory.memsw.limit_in_bytes", cpuset: "cpuset.cpus" };
}

/**
 * The LXC config of an unprivileged container, shaped like the one Proxmox
 * generates for `unprivileged: 1` and `features: nesting=1`: LXC's common
 * and userns includes, the 100000 idmap, no AppArmor (the kernel here has
 * none; Proxmox uses its generated profile), the proc/sys mounts nesting
 * gives systemd, one veth on the bridge (a static address, or none for
 * DHCP), and the memory and CPU limits.
 */
export function renderLxcConfig(spec: LxcContainerSpec, rootfs: string, cgroup: CgroupVersion, hostCpus: number): string {
  const keys = limitKeys(cgroup);
  const prefix = cgroup === 2 ? "lxc.cgroup2" : "lxc.cgroup";
  const bytes = spec.memoryMiB * 1024 * 1024;
  const net = spec.network;
  const ipv4 = "address" in net ? [`lxc.net.0.ipv4.address = ${net.address}/${net.prefix}`, ...(net.gateway ? [`lxc.net.0.ipv4.gateway = ${net.gateway}`] : [])] : [];
  return [
    "# Written by the ZeroLagHub agent (lxc runtime); the #zlh. lines are its own record.",
    `#zlh.hostname = ${encodeURIComponent(spec.hostname)}`,
    `#zlh.memoryMiB = ${spec.memoryMiB}`,
    `#zlh.cpuCores = ${spec.cpuCores}`,
    `#zlh.diskGiB = ${spec.diskGiB}`,
    `#zlh.bridge = ${net.bridge}`,
    `#zlh.address = ${"address" in net ? net.address : "dhcp"}`,
    ...("address" in net ? [`#zlh.prefix = ${net.prefix}`, ...(net.gateway ? [`#zlh.gateway = ${net.gateway}`] : [])] : []),
    `#zlh.description = ${encodeURIComponent(spec.description)}`,
    // LXC's own common and userns includes (liblxc-common, a dependency of lxc). Not the debian.* ones:
    // lxc-templates ships those, a recommendation of lxc only, so a host without recommends has none.
    "lxc.include = /usr/share/lxc/config/common.conf",
    "lxc.include = /usr/share/lxc/config/userns.conf",
    "lxc.arch = amd64",
    `lxc.uts.name = ${spec.hostname}`,
    `lxc.rootfs.path = dir:${rootfs}`,
    `lxc.idmap = u 0 ${ID_BASE} ${ID_COUNT}`,
    `lxc.idmap = g 0 ${ID_BASE} ${ID_COUNT}`,
    "lxc.apparmor.profile = unconfined",
    // Nesting (Proxmox features: nesting=1): uncovered proc and sys for systemd inside.
    "lxc.mount.entry = proc dev/.lxc/proc proc create=dir,optional 0 0",
    "lxc.mount.entry = sys dev/.lxc/sys sysfs create=dir,optional 0 0",
    "lxc.net.0.type = veth",
    `lxc.net.0.link = ${net.bridge}`,
    "lxc.net.0.flags = up",
    "lxc.net.0.name = eth0",
    ...ipv4,
    `${prefix}.${keys.memory} = ${bytes}`,
    // No swap beyond the memory limit, as Proxmox's default swap of 512 MiB would be more than asked for.
    ...(cgroup === 2 ? [`${prefix}.${keys.swap} = 0`] : []),
    `${prefix}.${keys.cpuset} = ${cpusetFor(spec.cpuCores, hostCpus)}`,
    "",
  ].join("\n");
}

/** The agent's record back from a config it wrote; null when the text is not one. */
export function parseLxcConfig(vmid: number, text: string): LxcContainerSpec | null {
  const field = (name: string) => new RegExp(`^#zlh\\.${name} = (.*)$`, "m").exec(text)?.[1];
  const [hostname, memory, cores, disk, address, description, bridge, prefix, gateway] = ["hostname", "memoryMiB", "cpuCores", "diskGiB", "address", "description", "bridge", "prefix", "gateway"].map(field);
  if (hostname === undefined || memory === undefined || cores === undefined || disk === undefined || !address) return null;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return {
    vmid,
    hostname: decode(hostname),
    memoryMiB: Number(memory),
    cpuCores: Number(cores),
    diskGiB: Number(disk),
    // A config from before the network was recorded: the runtime's own static address on its bridge.
    network: address === "dhcp" ? { bridge: bridge ?? BRIDGE, mode: "dhcp" } : { bridge: bridge ?? BRIDGE, address, prefix: Number(prefix ?? PREFIX_LENGTH), gateway: gateway ?? null },
    description: decode(description ?? ""),
  };
}
