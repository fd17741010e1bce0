import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Result } from "@zlh/protocol";
import { writeFileAtomic } from "./placement/atomicWrite";

export type PendingResult = Omit<Result, "v" | "type">;

const key = (opId: string, token: string) => `${opId}.${token}`;

/**
 * Results not yet acknowledged: kept in memory and on disk (one file per op
 * and token), so that neither a dropped connection nor an agent crash loses
 * one. They are resent until the control plane acknowledges them (applied,
 * duplicate or rejected): after every reconnect, and on every heartbeat for
 * those sent more than a heartbeat ago (an apply that failed on the control
 * plane is simply tried again). A result that cannot be written to disk (a
 * full disk) is still kept in memory and resent; only a crash of the agent
 * before the acknowledgement loses it, and then the lease expires and the
 * operation is redone, idempotently.
 */
export class Outbox {
  readonly #dir: string;
  readonly #pending = new Map<string, { result: PendingResult; sentAt: number }>();
  constructor(stateDir: string) {
    this.#dir = join(stateDir, "results");
  }

  #file(opId: string, token: string) {
    return join(this.#dir, `${key(opId, token)}.json`);
  }

  /** Loads what an earlier run of the agent left unacknowledged (nothing, if the state directory cannot be read). */
  async load(): Promise<void> {
    const names = await mkdir(this.#dir, { recursive: true })
      .then(() => readdir(this.#dir))
      .catch(() => [] as string[]);
    for (const n of names.filter((f) => f.endsWith(".json"))) {
      try {
        const r = JSON.parse(await readFile(join(this.#dir, n), "utf8")) as PendingResult;
        if (!this.#pending.has(key(r.opId, r.token))) this.#pending.set(key(r.opId, r.token), { result: r, sentAt: 0 });
      } catch {
        // A torn file cannot exist (atomic writes); an unreadable one is skipped, not fatal.
      }
    }
  }

  /** Keeps the result until acknowledged; returns the disk error when it could not be made durable. */
  async record(result: PendingResult): Promise<Error | null> {
    this.#pending.set(key(result.opId, result.token), { result, sentAt: Date.now() });
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeFileAtomic(this.#file(result.opId, result.token), JSON.stringify(result));
      return null;
    } catch (err) {
      return err as Error;
    }
  }

  async remove(opId: string, token: string): Promise<void> {
    this.#pending.delete(key(opId, token));
    // A file left behind (disk trouble) is resent after a restart and answered as a duplicate: harmless.
    await rm(this.#file(opId, token), { force: true }).catch(() => {});
  }

  /** Results to (re)send: all of them, or those last sent before `sentBefore`; marks them sent now. */
  due(sentBefore = Infinity): PendingResult[] {
    const now = Date.now();
    const out: PendingResult[] = [];
    for (const p of this.#pending.values()) {
      if (p.sentAt >= sentBefore) continue;
      p.sentAt = now;
      out.push(p.result);
    }
    return out;
  }

  get size(): number {
    return this.#pending.size;
  }
}
