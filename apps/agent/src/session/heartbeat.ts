import type { HeldLease, InventoryItem, ServerStat } from "@zlh/protocol";
import type { SessionComponent } from "./component";
import type { InventoryReport } from "./inventoryReport";

export interface HeartbeatDeps {
  /** The host's containers, observed now. */
  inventory(): Promise<InventoryItem[]>;
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

/**
 * Every TTL/3, a heartbeat renews the leases the agent still executes and
 * carries the inventory (or its digest). One at a time: the next waits, so
 * each inventory is listed after the previous one was sent. Results not
 * acknowledged within a heartbeat are sent again: the control plane may have
 * failed to apply them.
 */
export class Heartbeat implements SessionComponent {
  #timer: NodeJS.Timeout | null = null;
  #beating = false;

  constructor(private readonly deps: HeartbeatDeps) {}

  start({ ttlMs }: { ttlMs: number }): void {
    this.stop();
    const third = Math.floor(ttlMs / 3);
    this.#timer = setInterval(() => void this.#beat(third).catch((err) => this.deps.onError(err)), Math.max(50, third));
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #beat(third: number): Promise<void> {
    if (this.#beating) return;
    this.#beating = true;
    try {
      const inventory = await this.deps.inventory();
      const stats = await this.deps.stats?.(inventory).catch(() => undefined);
      if (!this.#timer) return; // the session ended while the inventory was listed
      this.deps.send({ type: "heartbeat", held: this.deps.renewable(), ...this.deps.report.next(inventory), ...(stats ? { stats } : {}) });
      this.deps.resendOlderThan(third);
    } finally {
      this.#beating = false;
    }
  }
}
