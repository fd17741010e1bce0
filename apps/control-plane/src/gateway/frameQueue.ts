/**
 * Handles an agent connection's frames one at a time, in arrival order, with
 * a bounded backlog: past `high` frames waiting, the socket is paused (TCP
 * backpressure then holds the sender), and it is resumed once the backlog is
 * down to `low`. Without the bound, an agent (or anyone holding a stolen
 * token) sending faster than the database answers grows the control plane's
 * memory without limit.
 */
export class FrameQueue {
  #tail: Promise<void>;
  #waiting = 0;
  #paused = false;

  constructor(
    first: Promise<void>,
    private readonly flow: { pause(): void; resume(): void },
    private readonly high = 32,
    private readonly low = 8,
  ) {
    this.#tail = first;
  }

  /** Frames received and not yet handled. */
  get waiting(): number {
    return this.#waiting;
  }

  /** `handle` logs its own failures; one that throws anyway does not stop the frames after it. */
  push(handle: () => Promise<void>): void {
    this.#waiting++;
    if (!this.#paused && this.#waiting >= this.high) {
      this.#paused = true;
      this.flow.pause();
    }
    this.#tail = this.#tail.then(handle).catch(() => {}).finally(() => {
      this.#waiting--;
      if (this.#paused && this.#waiting <= this.low) {
        this.#paused = false;
        this.flow.resume();
      }
    });
  }

  /** Resolves once every frame pushed so far is handled. */
  drained(): Promise<void> {
    return this.#tail;
  }
}
