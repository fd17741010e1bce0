/**
 * One holder per VMID at a time, in arrival order: the next waits until the
 * previous settled (success or failure). Per process: this agent is the only
 * one driving its host's containers.
 */
export class VmidLocks {
  readonly #tails = new Map<number, Promise<unknown>>();

  async run<T>(vmid: number, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(vmid) ?? Promise.resolve();
    const mine = previous.catch(() => {}).then(fn);
    const tail = mine.catch(() => {});
    this.#tails.set(vmid, tail);
    try {
      return await mine;
    } finally {
      if (this.#tails.get(vmid) === tail) this.#tails.delete(vmid);
    }
  }
}
