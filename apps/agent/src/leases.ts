import type { LeasedOperation } from "@zlh/protocol";

/** Why an execution was cancelled: its lease is no longer this agent's. */
export class LeaseLost extends Error {
  constructor(readonly opId: string) {
    super(`the lease on operation ${opId} was lost; execution stopped before its next step`);
    this.name = "LeaseLost";
  }
}

export interface LeaseEntry {
  op: LeasedOperation;
  /** The control plane said this lease is no longer ours: its execution is cancelled and its result never sent. */
  lost: boolean;
  /** Executed; the result waits for its acknowledgement (in the outbox), the lease is no longer renewed. */
  done: boolean;
  /** Aborted when the lease is lost: every operation step checks it before its next side effect. */
  readonly abort: AbortController;
  /** The execution, once started. */
  task?: Promise<void>;
}

/**
 * The leases this agent holds, one entry per operation. Guarantees one
 * execution of an operation at a time in this agent: a new grant of an
 * operation whose earlier execution still runs (its lease expired while the
 * agent was paused, say) cancels that execution and starts only once it has
 * stopped.
 */
export class LeaseTable {
  readonly #held = new Map<string, LeaseEntry>();

  get(opId: string): LeaseEntry | undefined {
    return this.#held.get(opId);
  }

  values(): IterableIterator<LeaseEntry> {
    return this.#held.values();
  }

  /** The leases to renew in a heartbeat: neither lost nor finished (a finished one waits only for its result's acknowledgement). */
  renewable(): { opId: string; token: string }[] {
    return [...this.#held.values()].filter((h) => !h.lost && !h.done).map((h) => ({ opId: h.op.opId, token: h.op.token }));
  }

  /** Executions in progress (they take a slot of the agent's concurrency). */
  busy(): number {
    return [...this.#held.values()].filter((h) => !h.done).length;
  }

  /**
   * Tracks a grant. Returns null when this very lease is already held (a
   * duplicate grant), else the entry and what its execution must wait for.
   */
  begin(op: LeasedOperation): { held: LeaseEntry; after: Promise<unknown> } | null {
    const earlier = this.#held.get(op.opId);
    if (earlier?.op.token === op.token) return null;
    if (earlier) this.markLost(op.opId);
    const held: LeaseEntry = { op, lost: false, done: false, abort: new AbortController() };
    this.#held.set(op.opId, held);
    return { held, after: earlier?.task?.catch(() => {}) ?? Promise.resolve() };
  }

  /** The lease is gone: cancel its execution. Returns the entry if this call marked it. */
  markLost(opId: string): LeaseEntry | null {
    const h = this.#held.get(opId);
    if (!h || h.lost) return null;
    h.lost = true;
    h.abort.abort(new LeaseLost(opId));
    return h;
  }

  /** Forgets the entry once its result is acknowledged (only if it is still this lease). */
  acknowledged(opId: string, token: string): void {
    if (this.#held.get(opId)?.op.token === token) this.#held.delete(opId);
  }
}
