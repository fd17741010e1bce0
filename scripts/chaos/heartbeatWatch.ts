import type postgres from "postgres";
import type { HostileWindow } from "./hostileGuest";

interface Sample {
  at: number;
  hostId: string;
  ageMs: number;
}

/**
 * Samples every host's heartbeat age (the database's clock against the last
 * heartbeat it recorded) twice a second, and remembers when other faults cut
 * a host off on purpose (agent killed or stopped, websocket dropped, its
 * control plane or Postgres restarted, ...): those gaps are expected and are
 * not judged. What is judged: while a hostile fault sits in a host's
 * containers, its agent keeps beating (a FIFO read or a device must not
 * wedge it): every sample in a hostile window, outside any deliberate cut,
 * is younger than the lease TTL.
 */
export class HeartbeatWatch {
  readonly #samples: Sample[] = [];
  /** hostId null: every host. */
  readonly #cuts: { hostId: string | null; from: number; to: number }[] = [];
  #timer: NodeJS.Timeout | null = null;
  #sampling = false;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly leaseTtlMs: number,
  ) {}

  start(): void {
    this.#timer = setInterval(() => void this.#sample(), 500);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** A deliberate cut of `hostId` (null: all) from now until `durationMs` later, plus the time to reconnect and beat again. */
  cut(hostId: string | null, durationMs: number): void {
    const now = Date.now();
    this.#cuts.push({ hostId, from: now, to: now + durationMs + this.leaseTtlMs + 5000 });
  }

  async #sample(): Promise<void> {
    if (this.#sampling) return; // the database is slow or down: no pile-up
    this.#sampling = true;
    try {
      const at = Date.now();
      const rows = await this.sql`select id, (extract(epoch from clock_timestamp() - last_heartbeat_at) * 1000)::float8 as age
        from hosts where last_heartbeat_at is not null`;
      for (const r of rows) this.#samples.push({ at, hostId: r.id, ageMs: r.age });
    } catch {
      // Postgres restarting: no sample
    } finally {
      this.#sampling = false;
    }
  }

  /** Samples inside hostile windows and outside deliberate cuts, and those older than the lease TTL. */
  judge(windows: HostileWindow[]): { checked: number; violations: string[] } {
    let checked = 0;
    const violations: string[] = [];
    for (const s of this.#samples) {
      const w = windows.find((x) => x.hostId === s.hostId && s.at >= x.from && s.at <= x.to);
      if (!w) continue;
      if (this.#cuts.some((c) => (c.hostId === null || c.hostId === s.hostId) && s.at >= c.from && s.at <= c.to)) continue;
      checked++;
      if (s.ageMs >= this.leaseTtlMs) violations.push(`host ${s.hostId}: no heartbeat for ${Math.round(s.ageMs)} ms (lease TTL ${this.leaseTtlMs} ms) during ${w.kind}`);
    }
    return { checked, violations };
  }
}
