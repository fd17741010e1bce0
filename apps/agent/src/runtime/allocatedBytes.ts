import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

export interface WalkBounds {
  /** Entries looked at, at most. */
  maxEntries: number;
  /** Directory depth below the root, at most. */
  maxDepth: number;
  /** The walk gives up at this time (Date.now()). */
  deadline: number;
}

/**
 * The bytes a tree allocates on disk, as `du -sx` counts them: the sum of
 * `blocks * 512` of every entry's lstat, so a sparse file counts what it
 * allocates, not its length. Links are never followed (lstat, and only a
 * directory that lstat says is one is read), other filesystems (a different
 * st_dev) are not entered, FIFOs and sockets are stat'd, never opened, a
 * file with several hard links counts once. The
 * tree is the customer's: null when it goes past a bound (entries, depth,
 * deadline) rather than a number that is too small, or when the root is gone.
 */
export async function allocatedBytes(root: string, bounds: WalkBounds): Promise<number | null> {
  const top = await lstat(root, { bigint: true }).catch(() => null);
  if (!top?.isDirectory()) return null;
  let bytes = top.blocks * 512n;
  let entries = 1;
  const linked = new Set<string>(); // a file with more than one name counts once, as du counts it
  const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop() as { dir: string; depth: number };
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (++entries > bounds.maxEntries || Date.now() > bounds.deadline) return null;
      const path = join(dir, name);
      const st = await lstat(path, { bigint: true }).catch(() => null);
      if (!st) continue; // gone since the readdir
      if (st.nlink > 1n && !st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (linked.has(id)) continue;
        linked.add(id);
      }
      bytes += st.blocks * 512n;
      if (st.isDirectory() && st.dev === top.dev) {
        if (depth + 1 > bounds.maxDepth) return null;
        stack.push({ dir: path, depth: depth + 1 });
      }
    }
  }
  return Number(bytes);
}
