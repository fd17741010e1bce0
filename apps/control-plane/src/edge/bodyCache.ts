import type postgres from "postgres";
import { EDGE_CHANNEL } from "@zlh/db";

/** Rebuilt at least this often anyway: a notification lost while the listening connection reconnected costs at most this. */
const MAX_AGE_MS = 30_000;

export interface CachedBody<T> {
  body: T;
  etag: string;
}

/**
 * A body derived from the servers' edge inputs (the Traefik endpoint's configuration), kept until they change:
 * a generation counts the changes this process heard of (EDGE_CHANNEL, notified at commit by the trigger that
 * marks a server's edge dirty), and a body is served again only while the generation it was built at is current.
 * Until the LISTEN is established nothing is cached (a change then would go unheard).
 */
export class EdgeBodyCache<T> {
  private generation = 0;
  private listening = false;
  private entry: (CachedBody<T> & { generation: number; at: number }) | null = null;

  changed(): void {
    this.generation++;
  }

  /** The LISTEN is (re)established: anything may have changed while it was not. */
  listened(): void {
    this.listening = true;
    this.generation++;
  }

  async get(build: () => Promise<CachedBody<T>>): Promise<CachedBody<T>> {
    const e = this.entry;
    if (this.listening && e && e.generation === this.generation && Date.now() - e.at < MAX_AGE_MS) return e;
    const generation = this.generation;
    const built = await build();
    // A change heard while building may be missing from what was read: such a body is served once, not kept.
    if (this.listening && generation === this.generation) this.entry = { ...built, generation, at: Date.now() };
    return built;
  }
}

/** The cache told of every change of the edge's inputs, until `stop`. */
export async function listenForEdgeChanges(sql: postgres.Sql, cache: EdgeBodyCache<unknown>): Promise<{ stop(): Promise<void> }> {
  const sub = await sql.listen(
    EDGE_CHANNEL,
    () => cache.changed(),
    () => cache.listened(),
  );
  return { stop: () => sub.unlisten() };
}
