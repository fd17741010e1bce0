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
const OBSERVATION_BUDGET_BEATS = 6;
/** How long a heartbeat waits, at most, for the inventory it carries (and the live figures: their pings take 1.5 s at most): then it renews the leases without it. */
const GRACE_MS = 2000;

type Observation = { inventory: InventoryItem[]; stats?: ServerStat[] };

/**
 * Every TTL/3, a heartbeat renews the leases the agent still executes and
 * carries the inventory (or its digest), listed just before it: the
 * control plane takes an inventory as observed when it arrives. The
 * inventory reads inside customers' containers (a dead game's evidence),
 * which a customer can slow, so the heartbeat waits for it a moment at most
 * (GRACE_MS, or half the interval): past that it renews the leases without
 * it, and the inventory follows in a heartbeat of its own as soon as it is
 * listed. One observation (inventory, then live figures) at a time, within
 * a budget of a few intervals: a beat that finds one still under way renews
 * the leases at once; stop() (the session ended) cuts it short too.
 * Results not acknowledged within a heartbeat are sent again: the control
 * plane may have failed to apply them.
 */
export class Heartbeat implements SessionComponent {
  #timer: NodeJS.Timeout | null = null;
  #grace: NodeJS.Timeout | null = null;
  /** The observation under way (at most one). */
  #observing: Promise<void> | null = null;
  #session = 0;
  /** Aborted by stop(): an observation of the ended session stops reading (a reconnect's hello lists the same containers). */
  #ended = new AbortController();

  constructor(private readonly deps: HeartbeatDeps) {}

  start({ ttlMs }: { ttlMs: number }): void {
    this.stop();
    const third = Math.max(50, Math.floor(ttlMs / 3));
    const session = this.#session;
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
    if (this.#grace) clearTimeout(this.#grace);
    this.#timer = null;
    this.#grace = null;
    this.#session++; // an observation of the ended session is never sent in the next one
    this.#ended.abort(new Error("the agent session ended"));
    this.#ended = new AbortController();
  }

  #beat(session: number, third: number): void {
    if (this.#observing) {
      this.#send(third, null); // the last one is slow: renew now, it follows when done
      return;
    }
    let renewed = false;
    this.#grace = setTimeout(() => {
      renewed = true;
      this.#send(third, null);
    }, Math.min(GRACE_MS, Math.floor(third / 2)));
    const budget = AbortSignal.any([AbortSignal.timeout(third * OBSERVATION_BUDGET_BEATS), this.#ended.signal]);
    this.#observing = (async () => {
      const inventory = await this.deps.inventory(budget);
      const stats = await this.deps.stats?.(inventory).catch(() => undefined);
      if (session !== this.#session) return;
      if (!renewed && this.#grace) clearTimeout(this.#grace);
      this.#send(third, { inventory, ...(stats ? { stats } : {}) });
    })()
      .catch((err) => {
        if (session === this.#session) this.deps.onError(err);
      })
      .finally(() => {
        this.#observing = null;
      });
  }

  /** A heartbeat: the leases, and the observation just finished if there is one. */
  #send(third: number, observed: Observation | null): void {
    this.deps.send({
      type: "heartbeat",
      held: this.deps.renewable(),
      ...(observed ? this.deps.report.next(observed.inventory) : {}),
      ...(observed?.stats ? { stats: observed.stats } : {}),
    });
    this.deps.resendOlderThan(third);
  }
}
