import type { HeldLease, InventoryItem, ServerStat } from "@zlh/protocol";
import type { SessionComponent } from "./component";
import type { InventoryReport } from "./inventoryReport";

export interface HeartbeatDeps {
  /** The host's containers, observed now, within `budget`. */
  inventory(budget: AbortSignal): Promise<InventoryItem[]>;
  /** The leases to renew: held, neither lost nor finished. */
  renewable(): HeldLease[];
  report: InventoryReport;
  /** The live figures when due (session/liveStats.ts), else undefined. */
  stats?(inventory: InventoryItem[]): Promise<ServerStat[] | undefined>;
  send(beat: { type: "heartbeat"; held: HeldLease[]; inventory?: InventoryItem[]; inventoryDigest?: string; stats?: ServerStat[] }): void;
  /** Called after each heartbeat with the age beyond which an unacknowledged result is sent again. */
  resendOlderThan(ageMs: number): void;
  onError(err: unknown): void;
}

/** An observation (the inventory, then the live figures) is cut short after this many heartbeat intervals. */
export const OBSERVATION_BUDGET_BEATS = 6;

/**
 * Every TTL/3, a heartbeat renews the leases the agent still executes, at
 * once: it never waits on the inventory, which reads inside customers'
 * containers (a dead game's evidence), and a customer can make that slow.
 * The inventory (and the live figures) is observed in the background, one
 * observation at a time, each within a budget of a few intervals; a
 * heartbeat carries the last one finished since the previous heartbeat
 * (or its digest), and none if none finished: the control plane then
 * renews the leases and keeps the inventory it has. An observation starts
 * when the session starts and after each heartbeat, so each is listed
 * after the previous one was sent, and a heartbeat normally carries the
 * inventory observed during the interval before it. Results not
 * acknowledged within a heartbeat are sent again: the control plane may
 * have failed to apply them.
 */
export class Heartbeat implements SessionComponent {
  #timer: NodeJS.Timeout | null = null;
  /** The observation under way (at most one), and the last one finished and not yet sent. */
  #observing: Promise<void> | null = null;
  #observed: { inventory: InventoryItem[]; stats?: ServerStat[] } | null = null;
  #session = 0;

  constructor(private readonly deps: HeartbeatDeps) {}

  start({ ttlMs }: { ttlMs: number }): void {
    this.stop();
    const third = Math.max(50, Math.floor(ttlMs / 3));
    const session = this.#session;
    this.#observe(session, third);
    this.#timer = setInterval(() => {
      try {
        this.#beat(session, third);
      } catch (err) {
        this.deps.onError(err);
      }
    }, third);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#session++; // an observation of the ended session is never sent in the next one
    this.#observed = null;
  }

  #beat(session: number, third: number): void {
    const observed = this.#observed;
    this.#observed = null;
    this.deps.send({
      type: "heartbeat",
      held: this.deps.renewable(),
      ...(observed ? this.deps.report.next(observed.inventory) : {}),
      ...(observed?.stats ? { stats: observed.stats } : {}),
    });
    this.deps.resendOlderThan(third);
    this.#observe(session, third);
  }

  /** Starts the next observation unless one is under way (a slow one is not doubled: the next waits for it). */
  #observe(session: number, third: number): void {
    if (this.#observing) return;
    const budget = AbortSignal.timeout(third * OBSERVATION_BUDGET_BEATS);
    this.#observing = (async () => {
      const inventory = await this.deps.inventory(budget);
      const stats = await this.deps.stats?.(inventory).catch(() => undefined);
      if (session === this.#session) this.#observed = { inventory, ...(stats ? { stats } : {}) };
    })()
      .catch((err) => {
        if (session === this.#session) this.deps.onError(err);
      })
      .finally(() => {
        this.#observing = null;
      });
  }
}
