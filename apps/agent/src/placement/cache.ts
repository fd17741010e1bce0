import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, statfs, utimes } from "node:fs/promises";
import { join } from "node:path";
import { ArtifactFetchError, downloadWithin, type ArtifactSource } from "@zlh/artifacts";
import { OpFailure } from "../ops/opFailure";
import { streamToFile } from "./streamToFile";

/** One download's bound, body included: 256 MiB (the largest pack file) at well under 1 MiB/s. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** How the cache is bounded (agent config: ZLH_AGENT_CACHE_MAX_BYTES, ZLH_AGENT_CACHE_MIN_FREE_BYTES). */
export interface CacheLimits {
  /** Bytes the cache may hold: past it, least recently used entries no operation holds are removed. */
  maxBytes?: number;
  /** Free bytes the cache's filesystem must keep after a download: a download that would go below is refused (retryable). */
  minFreeBytes?: number;
  /** How long one download (headers and the whole body) may take before it is abandoned. */
  downloadTimeoutMs?: number;
  /** How the free bytes of the cache's disk are read: statfs (a test gives a disk of known size, which a shared disk is not). */
  freeBytes?: (dir: string) => Promise<number>;
}

const statfsFreeBytes = async (dir: string) => {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
};

/** What an operation places files from: the cache, through a hold (ArtifactCache.hold) that keeps what it fetched from eviction. */
export type ArtifactFiles = Pick<ArtifactCache, "ensure">;

/** An operation's view of the cache: every entry it asked for stays until release(), which the agent calls when the operation ends, however it ends. */
export interface CacheHold extends ArtifactFiles {
  release(): void;
}

/**
 * The host's content-addressed artifact cache (`<state>/cache/sha512/<hash>`):
 * each file is downloaded once per host and shared by every server. A file
 * is streamed to a temporary file (`<state>/cache/tmp/`), hashed as it
 * arrives, and the download stops as soon as it is longer than pinned, so an
 * upstream (or a hostile mirror) sending endless bytes costs neither memory
 * nor more disk than the pinned size; it is renamed into the cache only
 * after its size and hashes match the manifest. An entry is re-verified
 * before use (once per change of its mtime), so a corrupted entry is
 * detected, dropped and fetched again. The cache holds at most `maxBytes`:
 * past it, the least recently used entries are removed (use is recorded as
 * the entry's atime, so the order survives a restart), except entries a
 * running operation holds (hold(): counted per entry, released when the
 * operation ends), which it may still be reading however long it runs.
 * Before a download the filesystem's free space is checked (statfs): a file
 * that would leave less than `minFreeBytes` free is refused with a retryable
 * `cache_disk_full` once unheld entries cannot make the room, so a cache on a
 * small or shared disk never fills it. A download has `downloadTimeoutMs` to
 * finish, its body included (an upstream that trickles is abandoned there).
 */
export class ArtifactCache {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #verified = new Map<string, number>();
  /** One download per file at a time: concurrent placements of the same file wait for the same fetch. */
  readonly #fetching = new Map<string, Promise<string>>();
  /** How many running operations hold each entry (by path): a held entry is never evicted. */
  readonly #holds = new Map<string, number>();
  readonly #maxBytes: number;
  readonly #minFreeBytes: number;
  readonly #downloadTimeoutMs: number;
  readonly #freeBytes: (dir: string) => Promise<number>;
  /** Bytes of the downloads under way (their pinned sizes): room #ensureRoom has promised them. */
  #downloading = 0;
  /** The cache's size, measured once (at the first ensure, when leftovers of a crash are removed too), then kept. */
  #total: Promise<{ bytes: number }> | null = null;

  constructor(
    stateDir: string,
    private readonly source: ArtifactSource,
    /** Told when a file is stored or dropped (the metrics' cache size). */
    private readonly onChange: () => void = () => {},
    limits: CacheLimits = {},
  ) {
    this.#dir = join(stateDir, "cache", "sha512");
    this.#tmp = join(stateDir, "cache", "tmp");
    this.#maxBytes = limits.maxBytes ?? 20 * 1024 ** 3;
    this.#minFreeBytes = limits.minFreeBytes ?? 0;
    this.#downloadTimeoutMs = limits.downloadTimeoutMs ?? DOWNLOAD_TIMEOUT_MS;
    this.#freeBytes = limits.freeBytes ?? statfsFreeBytes;
  }

  /** `run` with a hold of its own, released when it settles, however it settles. */
  async holding<T>(run: (files: ArtifactFiles) => Promise<T>): Promise<T> {
    const hold = this.hold();
    try {
      return await run(hold);
    } finally {
      hold.release();
    }
  }

  /** A hold for one operation: what it ensures is not evicted until it is released (release is idempotent). */
  hold(): CacheHold {
    const held = new Set<string>();
    let released = false;
    return {
      ensure: (file) => {
        const path = this.pathOf(file.sha512);
        if (!released && !held.has(path)) {
          held.add(path);
          this.#holds.set(path, (this.#holds.get(path) ?? 0) + 1);
        }
        return this.ensure(file);
      },
      release: () => {
        if (released) return;
        released = true;
        for (const path of held) {
          const n = (this.#holds.get(path) ?? 1) - 1;
          if (n > 0) this.#holds.set(path, n);
          else this.#holds.delete(path);
        }
      },
    };
  }

  pathOf(sha512: string): string {
    return join(this.#dir, sha512.slice(0, 2), sha512);
  }

  /** The cached file for `file`, fetched and verified if needed. */
  async ensure(file: Pinned): Promise<string> {
    const total = await this.#measure();
    const path = this.pathOf(file.sha512);
    const st = await stat(path).catch(() => null);
    if (st && this.#verified.get(path) === st.mtimeMs) return this.#touch(path);
    if (st) {
      if (st.size === file.size && (await hashFile(path)) === file.sha512) {
        this.#verified.set(path, st.mtimeMs);
        return this.#touch(path);
      }
      await rm(path, { force: true }); // corrupted: never served, fetched again below
      total.bytes -= st.size;
      this.onChange();
    }
    let fetching = this.#fetching.get(path);
    if (!fetching) {
      fetching = this.#fetch(file, path).finally(() => this.#fetching.delete(path));
      this.#fetching.set(path, fetching);
    }
    return fetching;
  }

  async #fetch(file: Pinned, path: string): Promise<string> {
    const total = await this.#measure();
    await mkdir(this.#tmp, { recursive: true });
    await this.#ensureRoom(total, file, path);
    const urls = [file.url, ...(file.alternates ?? [])];
    const failures: { url: string; err: unknown }[] = [];
    try {
      for (const url of urls) {
        try {
          await this.#download(file, url, path);
          break;
        } catch (err) {
          failures.push({ url, err });
        }
      }
    } finally {
      this.#downloading -= file.size; // reserved by #ensureRoom
    }
    if (failures.length === urls.length) throw allFailed(file, failures);
    total.bytes += file.size;
    this.#verified.set(path, (await stat(path)).mtimeMs);
    this.onChange();
    await this.#evict(total, path, total.bytes - this.#maxBytes);
    return path;
  }

  /**
   * Refuses (retryable) a download that would leave the filesystem under its reserve, counting the downloads under
   * way as if they were whole already, after removing what unheld entries it takes. On success the file's size is
   * reserved (#downloading) in the same step as the check, so concurrent downloads cannot each pass on the same room.
   */
  async #ensureRoom(total: { bytes: number }, file: Pinned, path: string): Promise<void> {
    const fits = async () => {
      missing = file.size + this.#downloading + this.#minFreeBytes - (await this.#freeBytes(this.#tmp));
      if (missing > 0) return false;
      this.#downloading += file.size;
      return true;
    };
    let missing = 0;
    if (await fits()) return;
    await this.#evict(total, path, missing);
    if (await fits()) return;
    throw new OpFailure(
      "cache_disk_full",
      // Said so an operator can act: which filesystem, and that the cache itself has nothing left to give (an empty cache on a full disk reads the same).
      `${file.url}: ${file.size} bytes${this.#downloading > 0 ? ` (with ${this.#downloading} bytes of other downloads under way)` : ""} would leave the filesystem of ${this.#tmp} ${missing} bytes short of the ${this.#minFreeBytes} the artifact cache keeps free (ZLH_AGENT_CACHE_MIN_FREE_BYTES), with every cached file no running operation holds already removed; free space on that filesystem or lower ZLH_AGENT_CACHE_MIN_FREE_BYTES (the operation is retried)`,
      true,
    );
  }

  /** One URL's bytes streamed into `path`, or an error saying why not (nothing is left behind then). */
  async #download(file: Pinned, url: string, path: string): Promise<void> {
    const tmp = join(this.#tmp, `${file.sha512.slice(0, 16)}-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      // The source is given (a little more than) the same bound: its own per-request one (a mirror's 60 s) would end a large download first.
      const body = await downloadWithin(this.source, url, this.#downloadTimeoutMs);
      const got = await streamToFile(body, tmp, file.size, { sha1: !!file.sha1, sha256: !!file.sha256 });
      const problem = got.overflow
        ? `more than the pinned ${file.size} bytes (the download was stopped there)`
        : got.size !== file.size
          ? `size ${got.size} instead of ${file.size}`
          : got.sha512 !== file.sha512
            ? "sha512 differs"
            : file.sha1 && got.sha1 !== file.sha1
              ? "sha1 differs"
              : file.sha256 && got.sha256 !== file.sha256
                ? "sha256 differs"
                : null;
      if (problem) throw new OpFailure("artifact_mismatch", `${url}: ${problem}; refused`, true);
      await mkdir(join(this.#dir, file.sha512.slice(0, 2)), { recursive: true });
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Records a use (atime, the LRU order) without changing the mtime its verification is keyed on. */
  async #touch(path: string): Promise<string> {
    const st = await stat(path).catch(() => null);
    if (st) {
      await utimes(path, new Date(), st.mtime).catch(() => {});
      const after = await stat(path).catch(() => null);
      if (after && this.#verified.get(path) === st.mtimeMs) this.#verified.set(path, after.mtimeMs);
    }
    return path;
  }

  #measure(): Promise<{ bytes: number }> {
    this.#total ??= (async () => {
      await rm(this.#tmp, { recursive: true, force: true }); // half-downloaded files of an agent that stopped
      const entries = await this.#entries();
      return { bytes: entries.reduce((n, e) => n + e.size, 0) };
    })();
    return this.#total;
  }

  async #entries(): Promise<{ path: string; size: number; usedAt: number }[]> {
    const out: { path: string; size: number; usedAt: number }[] = [];
    for (const shard of await readdir(this.#dir).catch(() => [] as string[])) {
      for (const name of await readdir(join(this.#dir, shard)).catch(() => [] as string[])) {
        const path = join(this.#dir, shard, name);
        const st = await stat(path).catch(() => null);
        if (st?.isFile()) out.push({ path, size: st.size, usedAt: Math.max(st.atimeMs, st.mtimeMs) });
      }
    }
    return out;
  }

  /** Removes least recently used entries until `bytes` are freed; `keep` (just stored or being fetched), entries being fetched and entries an operation holds stay. */
  async #evict(total: { bytes: number }, keep: string, bytes: number): Promise<void> {
    if (bytes <= 0) return;
    const candidates = (await this.#entries()).filter((e) => e.path !== keep && !this.#holds.has(e.path) && !this.#fetching.has(e.path)).sort((a, b) => a.usedAt - b.usedAt);
    let freed = 0;
    for (const e of candidates) {
      if (freed >= bytes) break;
      await rm(e.path, { force: true });
      this.#verified.delete(e.path);
      total.bytes -= e.size;
      freed += e.size;
    }
    this.onChange();
  }
}

/** An upstream file pinned by size and hashes: a downloaded manifest file, the input of a built one, or a Java runtime (sha256: what Adoptium publishes). */
type Pinned = { url: string; alternates?: string[]; size: number; sha512: string; sha1?: string; sha256?: string };

/**
 * Why no URL of a file gave its bytes: with one URL, its own error; with
 * alternates, every URL's reason in the order tried, as a mismatch when each
 * answered wrong bytes, else as a fetch failure (worth retrying later).
 */
function allFailed(file: Pinned, failures: { url: string; err: unknown }[]): Error {
  if (failures.length === 1) return failures[0]!.err as Error;
  const reasons = failures.map(({ url, err }) => `${url}: ${err instanceof OpFailure ? err.message.replace(`${url}: `, "") : (err as Error).message}`).join("; ");
  if (failures.every((f) => f.err instanceof OpFailure)) return new OpFailure("artifact_mismatch", `no download of ${file.url} matched: ${reasons}`, true);
  return new ArtifactFetchError(file.url, `every download failed: ${reasons}`);
}

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha512");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}
