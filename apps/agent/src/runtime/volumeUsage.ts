import { stat, statfs } from "node:fs/promises";
import { readSmall } from "./cgroupUsage";
import { procStatFields } from "./procStat";

/**
 * A running container's disk use as its volume reports it: statfs of its root seen through its
 * init, `/proc/<pid>/root` (what Proxmox's own status does), one system call, no file of the
 * customer's opened or walked. Whatever the customer writes, links or fills inside, statfs answers
 * for the filesystem as the kernel counts it; at worst a customer who replaces its own init's root
 * misreports its own figure. Null when that root is on the host's own filesystem (`hostDev`: a
 * directory rootfs with no volume of its own, as the lxc runtime makes by default): statfs would
 * report the host's disk.
 */
export async function volumeUsedBytes(pid: number, hostDev: bigint): Promise<number | null> {
  const root = `/proc/${pid}/root`;
  const st = await stat(root, { bigint: true }).catch(() => null);
  if (!st || st.dev === hostDev) return null;
  const fs = await statfs(root, { bigint: true }).catch(() => null);
  if (!fs) return null;
  return Number((fs.blocks - fs.bfree) * fs.bsize);
}

/**
 * A process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot), null when it has exited:
 * with the pid it names one process for the machine's uptime, since a reused pid starts later.
 */
export async function processStartTime(pid: number): Promise<number | null> {
  const fields = procStatFields((await readSmall(`/proc/${pid}/stat`)) ?? "");
  if (fields === null) return null;
  // A zombie (Z, or X while it is reaped) has exited: its root can no longer be read.
  const state = fields[3 - 1];
  if (state === "Z" || state === "X") return null;
  const start = Number(fields[22 - 1]);
  return Number.isSafeInteger(start) ? start : null;
}

/** The device of the filesystem holding `path` (the host's side of the comparison above). */
export async function deviceOf(path: string): Promise<bigint> {
  return (await stat(path, { bigint: true })).dev;
}
