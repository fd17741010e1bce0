import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { readFileNoFollow } from "./noFollow";
import { PLACED_RECORD, SERVER_DIR } from "./placeServer";
import { safeTarget } from "./safePath";

/**
 * Makes a server directory ready to be placed again from scratch (a
 * reinstall): removes every file the platform placed (as its record lists
 * them) and the record, so that placement writes all of them anew, and
 * nothing else: the world and the customer's own files stay. With `wipe`,
 * everything in the server directory goes (the customer asked for a fresh
 * server). Symlinks are removed as links, never followed. Returns how many
 * entries were removed.
 */
export async function clearForReinstall(rootfs: string, wipe: boolean): Promise<number> {
  const dir = join(rootfs, SERVER_DIR);
  const st = await lstat(dir).catch(() => null);
  if (!st?.isDirectory()) return 0;
  if (wipe) {
    const entries = await readdir(dir);
    for (const name of entries) await rm(join(dir, name), { recursive: true, force: true });
    return entries.length;
  }
  const record = JSON.parse((await readFileNoFollow(join(dir, PLACED_RECORD), "utf8")) ?? "null") as { files?: { path: string }[] } | null;
  let removed = 0;
  for (const f of record?.files ?? []) {
    const target = await safeTarget(dir, f.path, false).catch(() => null);
    if (target && (await lstat(target).catch(() => null))) {
      await rm(target, { force: true });
      removed++;
    }
  }
  await rm(join(dir, PLACED_RECORD), { force: true });
  return removed;
}
