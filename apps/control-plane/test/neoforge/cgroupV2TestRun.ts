import { readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * What a run of memoryCgroupV2.real.test.ts leaves on the host if it is
 * killed midway (SIGKILL, a killed worker), and how the next run undoes
 * it: each run's cgroup carries its pid in its name, and the run that
 * enables hugetlb at the unified root writes its pid to a mark first.
 */

/** Whether `pid` is a running process (EPERM: one of another user's, running). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Depth first: whatever is in each cgroup killed (cgroup.kill), then rmdir until the kernel lets it go. */
export async function removeTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
  for (let i = 0; i < 100; i++) {
    await writeFile(join(dir, "cgroup.kill"), "1").catch(() => {});
    const gone = await rmdir(dir).then(() => true, (err: NodeJS.ErrnoException) => err.code === "ENOENT");
    if (gone) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the test cgroup ${dir} could not be removed`);
}

/**
 * The cgroups under `root` named `prefix<pid>-…` whose run is gone (its
 * pid not running), or `prefix…` with no pid (named before runs carried
 * one): their processes killed and they removed. A live run's stays.
 */
export async function sweepDeadRuns(root: string, prefix: string): Promise<string[]> {
  const swept: string[] = [];
  for (const name of await readdir(root)) {
    if (!name.startsWith(prefix)) continue;
    const pid = /^(\d+)-/.exec(name.slice(prefix.length))?.[1];
    if (pid !== undefined && running(Number(pid))) continue;
    await removeTree(join(root, name));
    swept.push(name);
  }
  return swept;
}

/**
 * A mark left by a run that is gone: where what it enabled is still
 * enabled (`enabledNow`), it becomes `self`'s to put back (true); where it
 * is not, the stale mark is removed. A live run's mark is left alone.
 */
export async function takeOverDeadMark(marker: string, enabledNow: boolean, self: number): Promise<boolean> {
  const marked = Number((await readFile(marker, "utf8").catch(() => "")).trim());
  if (!(marked > 0) || running(marked)) return false;
  if (!enabledNow) {
    await rm(marker, { force: true });
    return false;
  }
  await writeFile(marker, String(self));
  return true;
}
