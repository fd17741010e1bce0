import type { Logger } from "pino";
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

/**
 * The game's liveness per container for the inventory, kept across
 * heartbeats: the memory baseline from when each game was last seen alive.
 * A death is judged on every heartbeat that sees it (its exit record read
 * through the container boundary each time, while the game is dead: a
 * heal restarts it within seconds, and nothing cached can outlive a death
 * the agent did not see between two heartbeats: a game restarted and dead
 * again before the next one).
 */
export class GameLiveness {
  /** The container's memory counters when its game was last seen alive. */
  readonly #baselines = new Map<number, Memory>();
  constructor(
    private readonly runtime: Runtime,
    private readonly log?: Logger,
  ) {}

  /** The game of a running container, or undefined where the runtime does not observe games (sim) or the container stopped. */
  async observe(vmid: number): Promise<GameState | undefined> {
    if (!this.runtime.bootsOs || !this.runtime.observeGame) return undefined;
    const seen = await this.runtime.observeGame(vmid);
    if (!seen) {
      this.#baselines.delete(vmid);
      return undefined;
    }
    if (seen.alive) {
      this.#baselines.set(vmid, seen.memory);
      return "alive";
    }
    const baseline = this.#baselines.get(vmid) ?? null;
    // Bounded to 10 s: a dead game is judged on every heartbeat that sees it, and a customer can keep it dead
    // (a masked unit) and make its container slow to enter; the heartbeat must not wait on that.
    const exit = await this.runtime.withGuest(vmid, readGameExit, AbortSignal.timeout(10_000)).catch(() => null);
    const verdict = diedOfMemory(baseline, seen.memory, exit) ? "oom_killed" : "dead";
    // What the verdict rests on: an operator can check it against the kernel's log.
    this.log?.debug({ vmid, verdict, exit, memory: seen.memory, baseline }, "game found dead in a running container");
    return verdict;
  }

  /** Drops what it keeps for containers no longer listed. */
  retain(vmids: Iterable<number>): void {
    const keep = new Set(vmids);
    for (const v of this.#baselines.keys()) if (!keep.has(v)) this.#baselines.delete(v);
  }
}
