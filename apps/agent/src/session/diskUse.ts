import { allocatedBytes, type WalkBounds } from "../runtime/allocatedBytes";
import type { Runtime } from "../runtime/runtime";

/** How often a container's files are walked again (docs/live-stats.md): a walk costs a stat per file, so not every 30 s. */
export const DISK_EVERY_MS = 5 * 60_000;
/** One walk's bounds: a server directory with more files, deeper, or slower than this has no figure (null). */
export const DISK_WALK: Omit<WalkBounds, "deadline"> & { timeMs: number } = { maxEntries: 200_000, maxDepth: 64, timeMs: 10_000 };

/**
 * Each running container's disk use, from a walk of its files (lstat only)
 * every DISK_EVERY_MS, one container at a time in the background: the stats
 * sample carries the last figure and never waits for a walk.
 */
/** How long a stats sample waits for a walk it started. */
const DISK_WAIT_MS = 1500;

export class DiskUse {
  readonly #cache = new Map<number, { bytes: number | null; at: number }>();
  #walking: Promise<void> | null = null;

  constructor(private readonly runtime: Pick<Runtime, "diskRoot">) {}

  /**
   * The last figure of each of `vmids` (absent: never walked). Starts a walk
   * of those that are due and waits for it at most DISK_WAIT_MS, so a new
   * server's first sample usually has its figure; a longer walk goes on in
   * the background and the next sample has it.
   */
  async figures(vmids: number[], now = Date.now()): Promise<Map<number, number | null>> {
    for (const v of this.#cache.keys()) if (!vmids.includes(v)) this.#cache.delete(v);
    const due = vmids.filter((v) => now - (this.#cache.get(v)?.at ?? Number.NEGATIVE_INFINITY) >= DISK_EVERY_MS);
    if (due.length > 0 && !this.#walking) this.#walking = this.#walk(due).finally(() => (this.#walking = null));
    if (this.#walking) await Promise.race([this.#walking, new Promise((r) => setTimeout(r, DISK_WAIT_MS).unref())]);
    return new Map([...this.#cache].map(([v, c]) => [v, c.bytes]));
  }

  async #walk(vmids: number[]): Promise<void> {
    for (const vmid of vmids) {
      const root = this.runtime.diskRoot?.(vmid) ?? null;
      const bytes = root === null ? null : await allocatedBytes(root, { ...DISK_WALK, deadline: Date.now() + DISK_WALK.timeMs }).catch(() => null);
      this.#cache.set(vmid, { bytes, at: Date.now() });
    }
  }
}
