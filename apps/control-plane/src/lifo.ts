import type { Logger } from "pino";

/**
 * Resources released last-in-first-out: what was started last (the HTTP
 * listener) stops first, the database it depends on stops last.
 */
export class Lifo {
  readonly #closers: { name: string; close: () => Promise<void> }[] = [];

  constructor(private readonly log: Logger) {}

  push(name: string, close: () => Promise<void>): void {
    this.#closers.push({ name, close });
  }

  async closeAll(): Promise<void> {
    for (let c = this.#closers.pop(); c; c = this.#closers.pop()) {
      try {
        await c.close();
        this.log.debug({ resource: c.name }, "resource closed");
      } catch (err) {
        this.log.error({ err, resource: c.name }, "resource failed to close");
      }
    }
  }
}
