import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, lchown, lstat, mkdir, rename, rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { isBuilt, manifestHash, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { writeFileAtomic } from "./atomicWrite";
import { buildFile } from "./buildFile";
import { readFileNoFollow, readStreamNoFollow } from "./noFollow";
import type { ArtifactCache } from "./cache";
import { safeTarget } from "./safePath";
import { renderServerProperties } from "./serverProperties";

/** Where the Minecraft server lives inside the container. */
export const SERVER_DIR = "srv/minecraft";
/** The platform's record of what it placed: the only files it will ever remove. */
export const PLACED_RECORD = ".zlh/manifest.json";

interface PlacedFile {
  path: string;
  sha512: string;
  size: number;
  mtimeMs: number;
}
interface PlacedRecord {
  manifestHash: string;
  game: string;
  loader: string;
  files: PlacedFile[];
}

export interface PlacementReport {
  written: string[];
  kept: string[];
  removed: string[];
}

/**
 * Places a server's files into its root filesystem before first boot: every
 * file the Fabric launcher checks for (packages/artifacts/src/fabric), so
 * that it finds a complete install and the first start needs no network.
 * Converges when run again:
 *  - a file already correct (same size and sha512; unchanged since we placed
 *    it, or re-hashed) is left alone;
 *  - every other file comes from the verified cache (or is built from inputs
 *    that come from it, and checked against its pinned hash), via a temp
 *    file of its own + rename;
 *  - files the platform placed before and the manifest no longer lists are
 *    removed; files it never placed (worlds, the customer's configs) are
 *    never touched;
 *  - every path is checked (no `..`, absolute path, NUL, or symlink on the way).
 */
export interface PlacementOptions {
  /**
   * Owner of what is placed, as the host sees it. An unprivileged Proxmox
   * container maps its root to 100000:100000 on the host, so files written
   * through the mounted rootfs must belong to that id to be root's inside.
   */
  owner?: { uid: number; gid: number } | null;
  /** Aborted when the operation's lease is lost: no file is written after that. */
  signal?: AbortSignal;
}

export async function placeServer(rootfs: string, spec: OperationSpec, manifest: Manifest, cache: ArtifactCache, opts: PlacementOptions = {}): Promise<PlacementReport> {
  const dir = await safeTarget(rootfs, SERVER_DIR);
  await mkdir(dir, { recursive: true });
  const previous = await readRecord(dir);
  const before = new Map(previous?.files.map((f) => [f.path, f]) ?? []);
  const report: PlacementReport = { written: [], kept: [], removed: [] };
  const placed: PlacedFile[] = [];
  const checkedDirs = new Set<string>();

  for (const file of manifest.files) {
    opts.signal?.throwIfAborted();
    const target = await safeTarget(dir, file.path, true, checkedDirs);
    // Anything but a regular file (a symlink planted since the check) is replaced, never read through.
    const found = await lstat(target).catch(() => null);
    const st = found?.isFile() ? found : null;
    const known = before.get(file.path);
    const unchanged = st && known && known.sha512 === file.sha512 && known.size === st.size && known.mtimeMs === st.mtimeMs;
    if (unchanged || (st && st.size === file.size && (await sha512Of(target)) === file.sha512)) {
      report.kept.push(file.path);
      placed.push({ path: file.path, sha512: file.sha512, size: file.size, mtimeMs: st!.mtimeMs });
      continue;
    }
    if (isBuilt(file)) {
      await writeFileAtomic(target, await buildFile(file, cache));
    } else {
      const cached = await cache.ensure(file);
      const tmp = `${target}.zlh-tmp-${randomBytes(4).toString("hex")}`;
      await copyFile(cached, tmp, constants.COPYFILE_EXCL);
      await rename(tmp, target);
    }
    report.written.push(file.path);
    placed.push({ path: file.path, sha512: file.sha512, size: file.size, mtimeMs: (await lstat(target)).mtimeMs });
  }

  opts.signal?.throwIfAborted();
  const wanted = new Set(manifest.files.map((f) => f.path));
  for (const old of previous?.files ?? []) {
    if (wanted.has(old.path)) continue;
    const target = await safeTarget(dir, old.path, false).catch(() => null);
    if (target && (await lstat(target).catch(() => null))?.isFile()) {
      await rm(target);
      report.removed.push(old.path);
    }
  }

  await writeIfChanged(await safeTarget(dir, "eula.txt"), "eula=true\n");
  await writeIfChanged(await safeTarget(dir, "server.properties"), renderServerProperties(spec));
  const record: PlacedRecord = { manifestHash: manifestHash(manifest), game: manifest.game, loader: manifest.loader, files: placed };
  await writeIfChanged(await safeTarget(dir, PLACED_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  if (opts.owner) await chownPlaced(dir, [...manifest.files.map((f) => f.path), "eula.txt", "server.properties", PLACED_RECORD], opts.owner);
  return report;
}

/**
 * Gives the placed files, and the directories holding them, to `owner`.
 * lchown, never chown: the paths were checked when written, but the
 * container's root can have swapped one for a symlink since, and chown would
 * then hand a host file (say /etc/shadow) to the container's root.
 */
export async function chownPlaced(dir: string, paths: string[], owner: { uid: number; gid: number }): Promise<void> {
  const targets = new Set<string>([dir]);
  for (const p of paths) {
    for (let d = join(dir, p); relative(dir, d) !== ""; d = dirname(d)) targets.add(d);
  }
  for (const t of targets) await lchown(t, owner.uid, owner.gid);
}

async function readRecord(dir: string): Promise<PlacedRecord | null> {
  try {
    return JSON.parse((await readFileNoFollow(join(dir, PLACED_RECORD), "utf8")) ?? "null") as PlacedRecord | null;
  } catch {
    return null;
  }
}

async function writeIfChanged(path: string, content: string): Promise<void> {
  if ((await readFileNoFollow(path, "utf8")) !== content) await writeFileAtomic(path, content);
}

async function sha512Of(path: string): Promise<string> {
  const h = createHash("sha512");
  for await (const chunk of await readStreamNoFollow(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}
