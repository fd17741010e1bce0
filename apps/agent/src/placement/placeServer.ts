import { createReadStream } from "node:fs";
import { isBuilt, isSeeded, manifestHash, manifestLaunch, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import type { GuestFiles } from "../guest/guestFiles";
import { OpFailure } from "../ops/opFailure";
import { buildFile } from "./buildFile";
import type { ArtifactFiles } from "./cache";
import { placeJava } from "./placeJava";
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
  /** A pack's override (isSeeded): the customer's to edit once placed; a reinstall keeps it, an update replaces or removes it only unchanged. */
  seeded?: true;
}
/** A file a placement began to write and did not finish placing: ours, whatever is there now. */
interface PendingFile extends Partial<PlacedFile> {
  path: string;
  pending: true;
}
interface PlacedRecord {
  /** The last placement that finished (a record with pending files is one that did not, since). */
  manifestHash: string;
  game: string;
  loader: string;
  /** What the manifest runs and the jar that starts it (manifestLaunch): the sim, which has no unit, starts what these say. */
  type?: string;
  jar?: string;
  /** Instead of a jar, the args files that start it (NeoForge). */
  argFiles?: string[];
  files: (PlacedFile | PendingFile)[];
}

export interface PlacementReport {
  written: string[];
  kept: string[];
  removed: string[];
  /** Seeded files the customer changed since they were placed (or had before): left as they are, neither replaced by the pack's copy nor removed. */
  preserved: string[];
}

/** Preserved paths an operation's result lists (the count is always whole): a pack of thousands of edited configs stays a small result. */
const PRESERVED_LISTED = 100;

/** What an operation's result says of a placement: how many files were written, and the seeded files kept as the customer changed them. */
export function placementResult(r: PlacementReport): { filesWritten: number; filesPreserved?: number; preserved?: string[] } {
  if (r.preserved.length === 0) return { filesWritten: r.written.length };
  return { filesWritten: r.written.length, filesPreserved: r.preserved.length, preserved: r.preserved.slice(0, PRESERVED_LISTED) };
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
 *  - a seeded file (a pack's override: isSeeded) is placed where absent, and
 *    replaced or removed only while it is what was placed (its size and
 *    mtime, or re-hashed, as recorded): one the customer changed, or had
 *    there before the pack placed it, is kept and listed as `preserved`;
 *  - the record is written ahead: before a file it does not list yet is
 *    written, it is listed (as pending), so that it always lists everything
 *    the platform may have placed, and whatever stops a placement part-way,
 *    the next one (of any manifest) removes what this one left;
 *  - every path is checked (no `..`, absolute path, NUL, or symlink on the way).
 */
export interface PlacementOptions {
  /** Aborted when the operation's lease is lost: no file is written after that. */
  signal?: AbortSignal;
  /** After each manifest file is in place (and once before the first): files and their bytes, done of total. */
  onFile?: (done: number, total: number, bytesDone: number, bytesTotal: number) => void;
}

/** The platform's own small files (record, properties, eula) are read up to this size; more is refused. */
const SMALL_FILE_MAX = 16 * 1024 * 1024;

export async function placeServer(guest: GuestFiles, spec: OperationSpec, manifest: Manifest, cache: ArtifactFiles, opts: PlacementOptions = {}): Promise<PlacementReport> {
  await placeJava(guest, manifest, cache, opts);
  await guest.mkdir(SERVER_DIR);
  const previous = await readRecord(guest);
  const before = new Map(previous?.files.map((f) => [f.path, f]) ?? []);
  const report: PlacementReport = { written: [], kept: [], removed: [], preserved: [] };
  const placed: PlacedFile[] = [];
  const recorded = [...(previous?.files ?? [])];
  const bytesTotal = manifest.files.reduce((n, f) => n + f.size, 0);
  let bytesDone = 0;
  const fileDone = (size: number) => {
    bytesDone += size;
    opts.onFile?.(placed.length, manifest.files.length, bytesDone, bytesTotal);
  };
  opts.onFile?.(0, manifest.files.length, 0, bytesTotal);

  for (const file of manifest.files) {
    opts.signal?.throwIfAborted();
    const target = inServerDir(file.path);
    // Anything but a regular file (a symlink, a FIFO planted since) is replaced by the write, never read.
    const found = await guest.stat(target);
    const st = found?.type === "file" ? found : null;
    const known = before.get(file.path);
    const hashed = onceHashed(guest, target);
    const seeded = isSeeded(file) ? ({ seeded: true } as const) : {};
    const unchanged = st && known && known.sha512 === file.sha512 && known.size === st.size && known.mtimeMs === st.mtimeMs;
    if (unchanged || (st && st.size === file.size && (await hashed()) === file.sha512)) {
      report.kept.push(file.path);
      placed.push({ path: file.path, sha512: file.sha512, size: file.size, mtimeMs: st!.mtimeMs, ...seeded });
      fileDone(file.size);
      continue;
    }
    if (st && isSeeded(file) && !(known && "pending" in known) && !(known && (await isAsPlaced(known, st, hashed)))) {
      report.preserved.push(file.path);
      // Still listed as what was placed: once the customer puts those bytes back, an update replaces it again.
      if (known) placed.push({ ...(known as PlacedFile), seeded: true });
      fileDone(file.size);
      continue;
    }
    const source = isBuilt(file) ? await buildFile(file, cache) : await cache.ensure(file);
    if (!before.has(file.path)) {
      recorded.push({ path: file.path, pending: true });
      const header = previous ?? recordHeader(manifest);
      await guest.write(`${SERVER_DIR}/${PLACED_RECORD}`, recordText({ ...header, files: recorded }));
    }
    const written = await guest.write(target, typeof source === "string" ? createReadStream(source) : source);
    report.written.push(file.path);
    placed.push({ path: file.path, sha512: file.sha512, size: file.size, mtimeMs: written.mtimeMs, ...seeded });
    fileDone(file.size);
  }

  opts.signal?.throwIfAborted();
  const wanted = new Set(manifest.files.map((f) => f.path));
  for (const old of previous?.files ?? []) {
    if (wanted.has(old.path) || !isSafeRelative(old.path)) continue;
    const target = inServerDir(old.path);
    const st = await guest.stat(target).catch(() => null);
    if (st?.type !== "file") continue;
    if (old.seeded && !("pending" in old) && !(await isAsPlaced(old as PlacedFile, st, onceHashed(guest, target)))) {
      report.preserved.push(old.path); // the customer's now: no longer in the record, never removed
      continue;
    }
    await guest.remove(target);
    report.removed.push(old.path);
  }

  await writeIfChanged(guest, "eula.txt", "eula=true\n");
  await writeIfChanged(guest, "server.properties", renderServerProperties(spec));
  const record: PlacedRecord = { ...recordHeader(manifest), files: placed };
  await writeIfChanged(guest, PLACED_RECORD, recordText(record));
  return report;
}

/** The sha512 of the file at `target`, hashed at most once (null: no regular file). */
function onceHashed(guest: GuestFiles, target: string): () => Promise<string | null> {
  let hash: Promise<string | null> | undefined;
  return () => (hash ??= guest.hash(target).then((h) => h?.sha512 ?? null));
}

/** Whether the file on disk is still the one the record says was placed: its size and mtime, or else its bytes. */
async function isAsPlaced(placed: PlacedFile, st: { size: number; mtimeMs: number }, hashed: () => Promise<string | null>): Promise<boolean> {
  if (placed.size !== st.size || typeof placed.sha512 !== "string") return false;
  return placed.mtimeMs === st.mtimeMs || (await hashed()) === placed.sha512;
}

function recordHeader(manifest: Manifest): Omit<PlacedRecord, "files"> {
  return { manifestHash: manifestHash(manifest), game: manifest.game, loader: manifest.loader, ...manifestLaunch(manifest) };
}

/** A manifest path inside the server directory; anything that could leave it is refused (the worker checks again). */
export function inServerDir(path: string): string {
  if (!isSafeRelative(path)) throw new OpFailure("unsafe_path", `refusing path ${JSON.stringify(path)}`, false);
  return `${SERVER_DIR}/${path}`;
}

function isSafeRelative(path: string): boolean {
  return !path.includes("\0") && !path.startsWith("/") && !path.split(/[\\/]/).some((s) => s === ".." || s === "." || s === "");
}

/** The record of what was placed; one that does not parse as a record (it is in the customer's reach) counts as none (everything is re-hashed). */
export async function readRecord(guest: GuestFiles): Promise<PlacedRecord | null> {
  const text = await guest.readText(`${SERVER_DIR}/${PLACED_RECORD}`, SMALL_FILE_MAX);
  try {
    const record = JSON.parse(text ?? "null") as PlacedRecord | null;
    return Array.isArray(record?.files) && record.files.every((f) => typeof f?.path === "string") ? record : null;
  } catch {
    return null;
  }
}

const recordText = (record: PlacedRecord) => `${JSON.stringify(record, null, 2)}\n`;

async function writeIfChanged(guest: GuestFiles, path: string, content: string): Promise<void> {
  const target = `${SERVER_DIR}/${path}`;
  if ((await guest.readText(target, SMALL_FILE_MAX)) !== content) await guest.write(target, content);
}
