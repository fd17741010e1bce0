import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Result } from "@zlh/protocol";
import { writeFileAtomic } from "./placement/atomicWrite";

export type PendingResult = Omit<Result, "v" | "type">;

/**
 * Results not yet acknowledged, kept on disk (one file per op and token) so
 * that neither a dropped connection nor an agent crash loses one: they are
 * resent after every reconnect until the control plane acknowledges them
 * (applied, duplicate or rejected).
 */
export class Outbox {
  readonly #dir: string;
  constructor(stateDir: string) {
    this.#dir = join(stateDir, "results");
  }

  #file(opId: string, token: string) {
    return join(this.#dir, `${opId}.${token}.json`);
  }

  async put(result: PendingResult): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await writeFileAtomic(this.#file(result.opId, result.token), JSON.stringify(result));
  }

  async remove(opId: string, token: string): Promise<void> {
    await rm(this.#file(opId, token), { force: true });
  }

  async all(): Promise<PendingResult[]> {
    await mkdir(this.#dir, { recursive: true });
    const names = (await readdir(this.#dir)).filter((n) => n.endsWith(".json"));
    const results: PendingResult[] = [];
    for (const n of names) {
      try {
        results.push(JSON.parse(await readFile(join(this.#dir, n), "utf8")) as PendingResult);
      } catch {
        // A torn file cannot exist (atomic writes); an unreadable one is skipped, not fatal.
      }
    }
    return results;
  }
}
