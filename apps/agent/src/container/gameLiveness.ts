import type { InventoryItem } from "@zlh/protocol";
import type { GameObservation, Runtime } from "../runtime/runtime";
import { readGameExit, type GameExit } from "./gameExit";

export type GameState = NonNullable<InventoryItem["game"]>;
type Memory = GameObservation["memory"];

/**
 * Was a dead game killed for memory? The rule (docs/game-liveness.md):
 *  - systemd says so (`oom-kill`: it saw the kill in the unit's own cgroup, cgroup v2 with the memory controller);
 *  - or the container's OOM-kill counter (cgroup v2, hierarchical, so it outlives the unit) rose since the
 *    game was last seen alive, and the game did not end on its own (no record, or killed by SIGKILL, the
 *    OOM killer's signal): another process killed for memory while the game exited by itself is not this;
 *  - or, where the kernel keeps no OOM-kill count for the container (cgroup v1: only in the victim's own
 *    cgroup, which systemd removes with the unit), the game was killed by SIGKILL and the container's memory
 *    hit its limit (memory.failcnt) since it was last seen alive: `kill -9` alone, or the limit hit alone
 *    (page cache fills to the limit in normal running), is not enough.
 * Without a baseline (this agent never saw the game alive: it restarted meanwhile) only systemd's word counts.
 */
export function diedOfMemory(baseline: Memory | null, now: Memory, exit: GameExit | null): boolean {
  if (exit?.result === "oom-kill") return true;
  if (!baseline) return false;
  const sigkill = exit?.code === "killed" && exit.status === "KILL";
  if (now.oomKills !== null && baseline.oomKills !== null) return now.oomKills > baseline.oomKills && (exit === null || sigkill);
  return sigkill && now.limitHits > baseline.limitHits;
}

/** How many heartbeats a death without an exit record is judged again (the record is written just after the game dies). */
const RECORD_TRIES = 3;

interface Watched {
  /** The container's memory counters when the game was last seen alive. */
  baseline: Memory | null;
  verdict: "dead" | "oom_killed" | null;
  tries: number;
}

/**
 * The game's liveness per container for the inventory, kept across
 * heartbeats: the memory baseline from when each game was last seen alive,
 * and a death's verdict once judged (the exit record is read through the
 * container boundary once per death, not every heartbeat).
 */
export class GameLiveness {
  readonly #watched = new Map<number, Watched>();
  constructor(private readonly runtime: Runtime) {}

  /** The game of a running container, or undefined where the runtime does not observe games (sim) or the container stopped. */
  async observe(vmid: number): Promise<GameState | undefined> {
    if (!this.runtime.bootsOs || !this.runtime.observeGame) return undefined;
    const seen = await this.runtime.observeGame(vmid);
    if (!seen) {
      this.#watched.delete(vmid);
      return undefined;
    }
    if (seen.alive) {
      this.#watched.set(vmid, { baseline: seen.memory, verdict: null, tries: 0 });
      return "alive";
    }
    const w = this.#watched.get(vmid) ?? { baseline: null, verdict: null, tries: 0 };
    this.#watched.set(vmid, w);
    if (w.verdict) return w.verdict;
    const exit = await this.runtime.withGuest(vmid, readGameExit, AbortSignal.timeout(10_000)).catch(() => null);
    const verdict = diedOfMemory(w.baseline, seen.memory, exit) ? "oom_killed" : "dead";
    if (exit || ++w.tries >= RECORD_TRIES) w.verdict = verdict;
    return verdict;
  }

  /** Drops what it keeps for containers no longer listed. */
  retain(vmids: Iterable<number>): void {
    const keep = new Set(vmids);
    for (const v of this.#watched.keys()) if (!keep.has(v)) this.#watched.delete(v);
  }
}
