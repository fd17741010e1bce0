import { stat } from "node:fs/promises";
import { join } from "node:path";
import { allocatedBytes } from "../runtime/allocatedBytes";

/** How long a measure of the cache is reused when the cache did not change: scrapes come every 15-60 s. */
const REUSE_MS = 5 * 60_000;
const WALK = { maxEntries: 200_000, maxDepth: 4, timeMs: 2_000 };

export interface CacheBytes {
  /** Bytes the cache allocates (0 before it exists; null: the walk went past its bounds). */
  read(): Promise<number | null>;
  /** The cache stored or dropped a file: the next read measures again. */
  changed(): void;
}

/**
 * The artifact cache's size on disk (`<state>/cache`), for the metrics: a walk (lstat only) of
 * the agent's own directory, again only after the cache changed (or every few minutes), one at a
 * time. The cache holds only files the agent verified and wrote, never a container's.
 */
export function cacheBytes(stateDir: string): CacheBytes {
  const dir = join(stateDir, "cache");
  let last: { bytes: number | null; at: number } | null = null;
  let walking: Promise<number | null> | null = null;
  const measure = async () => ((await stat(dir).catch(() => null)) ? allocatedBytes(dir, { ...WALK, deadline: Date.now() + WALK.timeMs }) : 0);
  return {
    async read() {
      if (last && Date.now() - last.at < REUSE_MS) return last.bytes;
      walking ??= measure()
        .catch(() => null)
        .then((bytes) => {
          last = { bytes, at: Date.now() };
          walking = null;
          return bytes;
        });
      return walking;
    },
    changed() {
      last = null;
    },
  };
}
