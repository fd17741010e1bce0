import { constants } from "node:fs";
import { open } from "node:fs/promises";

/**
 * A systemd unit inside a container, seen from the host through its cgroup,
 * without entering the container (no lxc-attach: nothing of the customer's
 * runs). The container's init (systemd) sits in `<container>/init.scope`;
 * its units are under `<container>/system.slice/<unit>/`. The unified
 * (v2) hierarchy is at /sys/fs/cgroup on a pure v2 host (Proxmox 7+: the
 * container is /lxc/<vmid>/ns) and at /sys/fs/cgroup/unified on a v1/v2
 * hybrid (plain LXC: /lxc.payload.<name>). cgroup files are the kernel's,
 * not the container's, but are read bounded all the same.
 */
export interface UnitCgroupState {
  /** Whether the unit's cgroup exists (systemd made it when it started the unit and removes it when the unit is gone). */
  exists: boolean;
  /** `populated 1` in cgroup.events: some process of the unit is alive. */
  populated: boolean;
  /** Processes the OOM killer killed in the unit (memory.events on v2, memory.oom_control on v1); readable only while its cgroup exists. */
  oomKills: number;
}

const MAX = 64 * 1024;

/** Up to MAX bytes of a kernel file (they report size 0, so read to EOF), null when absent. */
async function read(path: string): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENODEV" || code === "ENOTDIR" || code === "ESRCH") return null;
    throw err;
  }
  try {
    const buf = Buffer.alloc(MAX);
    let used = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, used, MAX - used, null);
      if (bytesRead === 0 || (used += bytesRead) >= MAX) break;
    }
    return buf.subarray(0, used).toString("utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENODEV" || (err as NodeJS.ErrnoException).code === "ESRCH") return null;
    throw err;
  } finally {
    await fh.close();
  }
}

/** `key value` lines (cgroup.events, memory.events, memory.oom_control) as numbers. */
function flatKeyed(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/**
 * The container's cgroup per hierarchy, from its init's /proc/<pid>/cgroup
 * (`0::/lxc.payload.100/init.scope` gives `/lxc.payload.100` for v2,
 * `4:memory:/...` for v1 memory), as the host sees it.
 */
export async function containerCgroups(initPid: number): Promise<{ unified: string | null; memoryV1: string | null }> {
  return parseContainerCgroups((await read(`/proc/${initPid}/cgroup`)) ?? "");
}

/**
 * The same from the text of /proc/<init>/cgroup. Plain LXC: `0::/lxc.payload.<name>/init.scope`; Proxmox:
 * `0::/lxc/<vmid>/ns/init.scope`, so a unit there is /sys/fs/cgroup/lxc/<vmid>/ns/system.slice/<unit>/.
 */
export function parseContainerCgroups(text: string): { unified: string | null; memoryV1: string | null } {
  const strip = (p: string) => p.replace(/\/init\.scope$/, "");
  let unified: string | null = null;
  let memoryV1: string | null = null;
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === "0" && m[2] === "") unified = strip(m[3]!);
    else if (m[2]!.split(",").includes("memory")) memoryV1 = strip(m[3]!);
  }
  return { unified, memoryV1 };
}

/** A unit's cgroup directory on the host, from the container's unified cgroup (parseContainerCgroups). */
export function unitCgroupDir(containerCgroup: string, unit: string, unifiedRoot: string): string {
  if (!/^[A-Za-z0-9@_.-]+\.service$/.test(unit)) throw new Error(`not a service unit name: ${JSON.stringify(unit)}`);
  return `${unifiedRoot}${containerCgroup}/system.slice/${unit}`;
}

export async function unitCgroupState(initPid: number, unit: string, unifiedRoot: string): Promise<UnitCgroupState> {
  if (!/^[A-Za-z0-9@_.-]+\.service$/.test(unit)) throw new Error(`not a service unit name: ${JSON.stringify(unit)}`);
  const { unified, memoryV1 } = await containerCgroups(initPid);
  if (unified === null) return { exists: false, populated: false, oomKills: 0 };
  const dir = unitCgroupDir(unified, unit, unifiedRoot);
  const { exists, populated } = await unitCgroupAt(dir);
  const memEvents = await read(`${dir}/memory.events`);
  const v1 = memEvents === null && memoryV1 !== null ? await read(`/sys/fs/cgroup/memory${memoryV1}/system.slice/${unit}/memory.oom_control`) : null;
  return { exists, populated, oomKills: flatKeyed(memEvents ?? v1).get("oom_kill") ?? 0 };
}

/** A unit's liveness from its cgroup directory where the path is known without the init (Proxmox: <root>/lxc/<vmid>/ns/system.slice/<unit>). */
export async function unitCgroupAt(dir: string): Promise<{ exists: boolean; populated: boolean }> {
  const events = await read(`${dir}/cgroup.events`);
  return { exists: events !== null, populated: flatKeyed(events).get("populated") === 1 };
}

/** A container's v2 memory evidence from its cgroup directory (Proxmox: <root>/lxc/<vmid>, where its limit is), null when it has none. */
export async function memoryEventsAt(dir: string): Promise<{ limitHits: number; oomKills: number } | null> {
  const events = await read(`${dir}/memory.events`);
  if (events === null) return null;
  const m = flatKeyed(events);
  return { limitHits: m.get("max") ?? 0, oomKills: m.get("oom_kill") ?? 0 };
}

/** The host pids of the unit's processes (its cgroup.procs), empty when it has none. */
export async function unitPids(initPid: number, unit: string, unifiedRoot: string): Promise<number[]> {
  if (!/^[A-Za-z0-9@_.-]+\.service$/.test(unit)) throw new Error(`not a service unit name: ${JSON.stringify(unit)}`);
  const { unified } = await containerCgroups(initPid);
  if (unified === null) return [];
  const text = await read(`${unitCgroupDir(unified, unit, unifiedRoot)}/cgroup.procs`);
  return (text ?? "").split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
}

/**
 * The container's memory evidence, which outlives a unit (systemd removes a
 * dead unit's cgroup, and its counters with it): `limitHits`, how often the
 * container's memory reached its limit (v2 memory.events `max`, v1
 * memory.failcnt), and `oomKills`, processes the OOM killer killed in it
 * (v2 memory.events `oom_kill`, hierarchical). On a v1 memory hierarchy
 * `oomKills` is null: the kernel counts a v1 kill only in the victim's own
 * cgroup (the unit's, gone with it), never in its parents.
 */
export async function containerMemory(initPid: number, unifiedRoot: string): Promise<{ limitHits: number; oomKills: number | null }> {
  const { unified, memoryV1 } = await containerCgroups(initPid);
  const v2 = unified === null ? null : await memoryEventsAt(`${unifiedRoot}${unified}`);
  if (v2 !== null) return v2;
  const failcnt = memoryV1 === null ? null : await read(`/sys/fs/cgroup/memory${memoryV1}/memory.failcnt`);
  return { limitHits: Number(failcnt?.trim() ?? 0) || 0, oomKills: null };
}
