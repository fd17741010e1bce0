import type { Logger } from "pino";

/**
 * Ends a session nobody answers. A socket that stays open while nobody
 * answers (a control plane stuck on its database, a half-open TCP
 * connection) must not hold the agent forever: heartbeats are acknowledged
 * every TTL/3, so silence for a TTL (or no welcome within 10 s of the hello)
 * means the session is dead, and `onSilent` drops it (the connection then
 * reconnects).
 */
export class SilenceWatchdog {
  #timer: NodeJS.Timeout | null = null;
  #heardAt = 0;
  #ttlMs: number | null = null;

  constructor(
    private readonly onSilent: () => void,
    private readonly log: Logger,
  ) {}

  /** Armed at the hello: until the welcome, the limit is 10 s. */
  arm(): void {
    this.stop();
    this.#heardAt = Date.now();
    this.#ttlMs = null;
    this.#timer = setInterval(() => {
      const limit = this.#ttlMs === null ? 10_000 : Math.max(this.#ttlMs, 1000);
      const silentMs = Date.now() - this.#heardAt;
      if (silentMs > limit) {
        this.log.warn({ silentMs }, "control plane silent; reconnecting");
        this.onSilent();
      }
    }, 250);
  }

  /** Greeted: from now on the limit is the lease TTL. */
  start(session: { ttlMs: number }): void {
    this.#ttlMs = session.ttlMs;
  }

  /** Anything arrived from the control plane. */
  heard(): void {
    this.#heardAt = Date.now();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
