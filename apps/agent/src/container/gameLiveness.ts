import type { Logger } from "pino";
import type { CrashEvidence, InventoryItem } from "@zlh/protocol";
import type { GameObservation, Runtime } from "../runtime/runtime";
import { readCrashEvidence } from "./crashEvidence";
import { readGameExit, type GameExit } from "./gameExit";

export type GameState = NonNullable<InventoryItem["game"]>;
/** What the inventory says of a container's game: its state (OS-booting runtimes), and why it died. */
export interface GameReport {
  game?: GameState;
  crash?: CrashEvidence;
}
/** A sim container's evidence stays in the inventory this long after its stop: long enough to be judged (two heartbeats). */
export const STOP_EVIDENCE_TTL_MS = 5 * 60_000;
type Memory = GameObservation["memory"];
/** A guest read of evidence takes this long at most. */
const GUEST_READ_MS = 10_000;

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

/** One death's evidence, read through the container boundary once, and the counters it was seen dead with. */
interface Death {
  read: { exit: GameExit | null; crash: CrashEvidence } | null;
  memory: Memory;
}

/**
 * The game's liveness per container for the inventory, kept across
 * heartbeats: the memory baseline from when each game was last seen alive,
 * and the evidence of each death, read once. A customer can keep a game
 * dead and make its container slow to enter (a directory of a million
 * names, reads that hang): read on every inventory, that cost would recur
 * every few seconds. The evidence is kept until the death is over: the game
 * seen alive or the container not running, the agent acting on the
 * container (an operation: a heal starts the game again), or the
 * container's memory counters moving (a new death the inventories did not
 * see begin: restarted and killed again between two of them; the counters
 * are host files, read every time). A game the customer restarts by hand
 * and that dies again, with no counter moved, between two inventories
 * keeps the earlier death's evidence: their own doing, on their own server.
 */
export class GameLiveness {
  /** The container's memory counters when its game was last seen alive. */
  readonly #baselines = new Map<number, Memory>();
  readonly #deaths = new Map<number, Death>();
  constructor(
    private readonly runtime: Runtime,
    private readonly log?: Logger,
  ) {}

  /** The sim containers seen running since this agent started, and the evidence read once each stopped. */
  readonly #seenRunning = new Set<number>();
  readonly #stopEvidence = new Map<number, { crash: CrashEvidence; at: number }>();

  /**
   * The game of a container of ours: on an OS-booting runtime, whether the
   * game of a running container is alive, and why it died; on the sim (whose
   * container is its game), why a container this agent saw running stopped.
   * Undefined when there is nothing to say. `budget` (the inventory's own
   * deadline) cuts a guest read short; what it cut is read again next time.
   */
  async observe(vmid: number, state: "running" | "stopped", now = Date.now(), budget?: AbortSignal): Promise<GameReport | undefined> {
    if (!this.runtime.bootsOs) return this.#simStop(vmid, state, now, budget);
    if (state !== "running" || !this.runtime.observeGame) {
      this.#deaths.delete(vmid);
      return undefined;
    }
    const seen = await this.runtime.observeGame(vmid);
    if (!seen || seen.alive) this.#deaths.delete(vmid);
    if (!seen) {
      this.#baselines.delete(vmid);
      return undefined;
    }
    if (seen.alive) {
      this.#baselines.set(vmid, seen.memory);
      return { game: "alive" };
    }
    const baseline = this.#baselines.get(vmid) ?? null;
    const death = await this.#death(vmid, seen.memory, budget);
    const exit = death.read?.exit ?? null;
    const verdict = diedOfMemory(baseline, seen.memory, exit) ? "oom_killed" : "dead";
    // What the verdict rests on: an operator can check it against the kernel's log.
    this.log?.debug({ vmid, verdict, exit, memory: seen.memory, baseline }, "game found dead in a running container");
    return death.read ? { game: verdict, crash: death.read.crash } : { game: verdict };
  }

  /** This death's evidence: kept if already read for it, else read now (bounded to 10 s) and kept. */
  async #death(vmid: number, memory: Memory, budget?: AbortSignal): Promise<Death> {
    const kept = this.#deaths.get(vmid);
    if (kept && kept.memory.limitHits === memory.limitHits && kept.memory.oomKills === memory.oomKills) return kept;
    const read = await this.runtime
      .withGuest(
        vmid,
        async (guest) => {
          const exit = await readGameExit(guest).catch(() => null);
          return { exit, crash: await readCrashEvidence(guest, exit) };
        },
        bounded(budget),
      )
      .catch(() => null);
    const death = { read, memory };
    // A read the container made time out is not tried again for this death; one the inventory's budget cut is.
    if (!budget?.aborted) this.#deaths.set(vmid, death);
    return death;
  }

  /** The agent acts on the container (an operation): what it kept of a death is no longer current. */
  forget(vmid: number): void {
    this.#deaths.delete(vmid);
  }

  /** Read once per stop of a sim container seen running (its files do not change while it is stopped), kept a while. */
  async #simStop(vmid: number, state: "running" | "stopped", now: number, budget?: AbortSignal): Promise<GameReport | undefined> {
    if (state === "running") {
      this.#seenRunning.add(vmid);
      this.#stopEvidence.delete(vmid);
      return undefined;
    }
    const kept = this.#stopEvidence.get(vmid);
    if (kept) return now - kept.at < STOP_EVIDENCE_TTL_MS ? { crash: kept.crash } : undefined;
    if (!this.#seenRunning.delete(vmid)) return undefined;
    const crash = await this.runtime.withGuest(vmid, (guest) => readCrashEvidence(guest, null), bounded(budget)).catch(() => null);
    if (!crash && budget?.aborted) this.#seenRunning.add(vmid); // cut by the inventory's budget: read by the next one
    if (!crash) return undefined;
    this.#stopEvidence.set(vmid, { crash, at: now });
    return { crash };
  }

  /** Drops what it keeps for containers no longer listed. */
  retain(vmids: Iterable<number>): void {
    const keep = new Set(vmids);
    for (const v of this.#baselines.keys()) if (!keep.has(v)) this.#baselines.delete(v);
    for (const v of this.#deaths.keys()) if (!keep.has(v)) this.#deaths.delete(v);
    for (const v of this.#stopEvidence.keys()) if (!keep.has(v)) this.#stopEvidence.delete(v);
    for (const v of this.#seenRunning) if (!keep.has(v)) this.#seenRunning.delete(v);
  }
}

/** A guest read's signal: 10 s at most (a customer can make its container slow to enter), and within the inventory's budget. */
function bounded(budget?: AbortSignal): AbortSignal {
  const own = AbortSignal.timeout(GUEST_READ_MS);
  return budget ? AbortSignal.any([own, budget]) : own;
}
