import type { SessionComponent } from "./component";

export interface WorkRequestDeps {
  /** How many operations this agent runs at once (ZLH_CONCURRENCY). */
  concurrency: number;
  /** Executions in progress (each takes a slot). */
  busy(): number;
  /** Sends a lease request for `max` operations; false if it could not be sent. */
  send(max: number): boolean;
}

/**
 * Asking for work, and only as much as there are free slots: after the
 * welcome, after every grant with operations in it, after every finished
 * operation or acknowledged result, and every lease TTL regardless
 * (notifications can be lost, say while a control plane restarts; asking now
 * and then bounds the delay). One request in flight at a time: the grant
 * that answers it, or an internal error, allows the next. Draining (a
 * graceful stop) asks for nothing more.
 */
export class WorkRequests implements SessionComponent {
  #poll: NodeJS.Timeout | null = null;
  #active = false;
  #requested = false;
  #draining = false;

  constructor(private readonly deps: WorkRequestDeps) {}

  start({ ttlMs }: { ttlMs: number }): void {
    this.stop();
    this.#active = true;
    this.#requested = false;
    this.#poll = setInterval(() => this.request(), Math.max(200, ttlMs));
    this.request();
  }

  stop(): void {
    this.#active = false;
    this.#requested = false;
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }

  /** Asks for as many operations as there are free slots, unless a request is already in flight. */
  request(): void {
    if (!this.#active || this.#draining || this.#requested) return;
    const free = this.deps.concurrency - this.deps.busy();
    if (free <= 0) return;
    this.#requested = this.deps.send(free);
  }

  /** The control plane answered the request in flight (a grant, or an internal error). */
  answered(): void {
    this.#requested = false;
  }

  /** A graceful stop: no new work. */
  drain(): void {
    this.#draining = true;
  }
}
