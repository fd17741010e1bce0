export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds (user + system) a process has used, from /proc (Linux); with
 * `reapedChildren`, only what its exited and reaped children used (cutime +
 * cstime): for an agent, the simulated servers it started and stopped.
 */
export async function cpuSeconds(pid: number, reapedChildren = false): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11..14] = utime, stime, cutime, cstime, in clock ticks (USER_HZ = 100 on Linux).
  const [a, b] = reapedChildren ? [13, 14] : [11, 12];
  return (Number(fields[a]) + Number(fields[b])) / 100;
}

/** CPU seconds the whole machine has been busy (all cores, from /proc/stat). */
export async function machineBusySeconds(): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const [cpu] = (await readFile("/proc/stat", "utf8")).split("\n");
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = cpu!.split(/\s+/).slice(1).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/**
 * CPU seconds used so far by the processes named `comm` (e.g. every
 * "postgres" backend and helper on this machine); processes that exit in
 * between two samples are missed, so sample around a window in which the
 * connections stay open.
 */
export async function cpuSecondsByName(comm: string): Promise<number> {
  const { readdir, readFile } = await import("node:fs/promises");
  let total = 0;
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    if (!stat || stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== comm) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}
