import { stat, statfs } from "node:fs/promises";
import { readSmall } from "./cgroupUsage";

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

/** Whether `pid` is the init of a container: pid 1 in a pid namespace of its own (the last NSpid field of its status). */
export async function isNamespaceInit(pid: number): Promise<boolean> {
  const status = await readSmall(`/proc/${pid}/status`);
  const ns = /^NSpid:\s+(.+)$/m.exec(status ?? "")?.[1]?.trim().split(/\s+/);
  return !!ns && ns.length >= 2 && ns.at(-1) === "1";
}

/** The device of the filesystem holding `path` (the host's side of the comparison above). */
export async function deviceOf(path: string): Promise<bigint> {
  return (await stat(path, { bigint: true })).dev;
}
