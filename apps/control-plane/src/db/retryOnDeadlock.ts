import { pgErrorCode } from "@zlh/db";

/**
 * Reruns a transaction that Postgres aborted to break a deadlock (40P01) or a
 * serialization failure (40001). Allocation normally takes rows with SKIP
 * LOCKED and never waits, but its fallback does wait, and two such waits can
 * form a cycle under a burst that exhausts a range; the rerun then sees the
 * winners' commits and answers correctly.
 */
export async function retryOnDeadlock<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      const code = pgErrorCode(err);
      if (i >= attempts || (code !== "40P01" && code !== "40001")) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * i));
    }
  }
}
