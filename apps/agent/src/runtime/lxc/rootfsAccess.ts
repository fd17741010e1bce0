import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { readFileBounded } from "../readFileBounded";

/**
 * File access to a container's root filesystem from the host, the simplest
 * honest way, kept here alone because a boundary module (file work done by
 * a helper running as the container's uid 100000) replaces it: a stopped
 * container's rootfs is its directory, a running one's is
 * /proc/<init pid>/root (its mount namespace's view).
 *
 * Every byte in there is the customer's. Resolving a path on the host
 * follows the container's symlinks against the HOST's root, so no component
 * of the path may be a link (checked, then the file opened O_NOFOLLOW). A
 * container root that swaps a directory for a link between the check and
 * the open can still race this; the boundary module closes that.
 */
export function rootOf(rootfsDir: string, initPid: number | null): string {
  return initPid ? `/proc/${initPid}/root` : rootfsDir;
}

export async function readInside(root: string, path: string, offset: number, maxBytes: number): Promise<{ data: Buffer; size: number }> {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new Error(`refusing to read ${JSON.stringify(path)}: it climbs out with ..`);
  let at = root;
  for (const part of parts.slice(0, -1)) {
    at = join(at, part);
    const st = await lstat(at).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? null : Promise.reject(err)));
    if (!st) return { data: Buffer.alloc(0), size: 0 };
    if (!st.isDirectory()) throw new Error(`refusing to read ${JSON.stringify(path)}: ${part} is not a directory (a link is not followed)`);
  }
  return readFileBounded(join(root, ...parts), offset, maxBytes);
}
