import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { ArtifactFetchError, streamFrom, type ArtifactSource } from "@zlh/artifacts";
import { OpFailure } from "../ops/opFailure";
import { streamToFile } from "./streamToFile";

/** An entry used this recently is never evicted: a placement reads it right after ensure() returned its path. */
const IN_USE_MS = 10 * 60_000;

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
 * the entry's atime, so the order survives a restart), except entries used
 * in the last ten minutes, which a placement may still be reading.
 */
export class ArtifactCache {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #verified = new Map<string, number>();
  /** One download per file at a time: concurrent placements of the same file wait for the same fetch. */
  readonly #fetching = new Map<string, Promise<string>>();
  /** The cache's size, measured once (at the first ensure, when leftovers of a crash are removed too), then kept. */
  #total: Promise<{ bytes: number }> | null = null;

  constructor(
    stateDir: string,
    private readonly source: ArtifactSource,
    /** Told when a file is stored or dropped (the metrics' cache size). */
    private readonly onChange: () => void = () => {},
    /** ZLH_AGENT_CACHE_MAX_BYTES */
    private readonly maxBytes = 20 * 1024 ** 3,
  ) {
    this.#dir = join(stateDir, "cache", "sha512");
    this.#tmp = join(stateDir, "cache", "tmp");
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
    const urls = [file.url, ...(file.alternates ?? [])];
    const failures: { url: string; err: unknown }[] = [];
    for (const url of urls) {
      try {
        await this.#download(file, url, path);
        break;
      } catch (err) {
        failures.push({ url, err });
      }
    }
    if (failures.length === urls.length) throw allFailed(file, failures);
    total.bytes += file.size;
    this.#verified.set(path, (await stat(path)).mtimeMs);
    this.onChange();
    await this.#evict(total, path);
    return path;
  }

  /** One URL's bytes streamed into `path`, or an error saying why not (nothing is left behind then). */
  async #download(file: Pinned, url: string, path: string): Promise<void> {
    const tmp = join(this.#tmp, `${file.sha512.slice(0, 16)}-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      const body = await streamFrom(this.source, url);
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

  /** Least recently used first, until the cache fits its budget again; `keep` (just stored) and files in use stay. */
  async #evict(total: { bytes: number }, keep: string): Promise<void> {
    if (total.bytes <= this.maxBytes) return;
    const now = Date.now();
    const candidates = (await this.#entries()).filter((e) => e.path !== keep && now - e.usedAt > IN_USE_MS && !this.#fetching.has(e.path)).sort((a, b) => a.usedAt - b.usedAt);
    for (const e of candidates) {
      if (total.bytes <= this.maxBytes) break;
      await rm(e.path, { force: true });
      this.#verified.delete(e.path);
      total.bytes -= e.size;
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
