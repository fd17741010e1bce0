import { open } from "node:fs/promises";
import { procStatFields } from "./procStat";

/**
 * A container's CPU and memory use, read on the host from its cgroup (never
 * by entering it: docs/live-stats.md). cgroup v2: `cpu.stat`'s `usage_usec`
 * and `memory.current` in one directory; v1: `cpuacct.usage` (nanoseconds)
 * and `memory.usage_in_bytes` in the cpuacct and memory hierarchies.
 */
export interface Usage {
  /** CPU time used since the cgroup was made, in microseconds (a counter). */
  cpuUsec: number;
  /** Memory charged to it now (page cache included, as the limit counts it), in bytes; null where not readable. */
  memoryBytes: number | null;
}

/** `usage_usec` of a v2 cpu.stat, or null. */
export function parseCpuStatV2(text: string): number | null {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** A single decimal counter (memory.current, memory.usage_in_bytes, cpuacct.usage), or null. */
export function parseCounter(text: string | null): number | null {
  const t = text?.trim() ?? "";
  return /^\d{1,19}$/.test(t) ? Number(t) : null;
}

/** At most 4 KiB of a cgroup or proc file; null when absent (the cgroup is gone). */
export async function readSmall(path: string): Promise<string | null> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

/** Usage of a v2 cgroup directory; null when it has no cpu.stat (gone, or not a cgroup). */
export async function usageV2(dir: string): Promise<Usage | null> {
  const cpu = parseCpuStatV2((await readSmall(`${dir}/cpu.stat`)) ?? "");
  if (cpu === null) return null;
  return { cpuUsec: cpu, memoryBytes: parseCounter(await readSmall(`${dir}/memory.current`)) };
}

/** Usage from v1 hierarchies: the cpuacct directory and the memory one; null without cpuacct.usage. */
export async function usageV1(cpuacctDir: string, memoryDir: string | null): Promise<Usage | null> {
  const ns = parseCounter(await readSmall(`${cpuacctDir}/cpuacct.usage`));
  if (ns === null) return null;
  return { cpuUsec: Math.floor(ns / 1000), memoryBytes: memoryDir === null ? null : parseCounter(await readSmall(`${memoryDir}/memory.usage_in_bytes`)) };
}

/**
 * A process's usage from /proc (the sim, whose container is one process):
 * utime + stime of /proc/<pid>/stat (fields 14 and 15, in clock ticks, 100
 * per second on Linux) and VmRSS of /proc/<pid>/status.
 */
export function parseProcStat(stat: string): number | null {
  const fields = procStatFields(stat);
  if (fields === null) return null;
  const utime = Number(fields[14 - 1]);
  const stime = Number(fields[15 - 1]);
  return Number.isSafeInteger(utime) && Number.isSafeInteger(stime) ? (utime + stime) * 10_000 : null;
}

export function parseVmRss(status: string): number | null {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export async function processUsage(pid: number): Promise<Usage | null> {
  const cpu = parseProcStat((await readSmall(`/proc/${pid}/stat`)) ?? "");
  if (cpu === null) return null;
  return { cpuUsec: cpu, memoryBytes: parseVmRss((await readSmall(`/proc/${pid}/status`)) ?? "") };
}
