import { TooManyStreamsError } from "./tooManyStreams";

/**
 * Open event-feed streams per API client, in this process. An event stream
 * costs the database one narrow page read a poll and nothing on any host,
 * and holds no row, so it is counted where it is served; a client reaching
 * several processes (behind a load balancer) may hold the cap at each.
 */
export class EventStreamSlots {
  readonly #open = new Map<string, number>();

  constructor(private readonly perClient: number) {}

  /** Takes a slot for `client`, or throws too_many_streams; the returned function gives it back (once). */
  take(client: string): () => void {
    const n = this.#open.get(client) ?? 0;
    if (n >= this.perClient) {
      throw new TooManyStreamsError(`The client ${JSON.stringify(client)} already has ${n} event streams open (at most ${this.perClient}); close one first.`);
    }
    this.#open.set(client, n + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#open.get(client) ?? 1) - 1;
      if (left > 0) this.#open.set(client, left);
      else this.#open.delete(client);
    };
  }
}
