import type { InventoryItem, ServerStat } from "@zlh/protocol";
import { mapBounded } from "../runtime/mapBounded";
import type { Runtime } from "../runtime/runtime";

/** How often a heartbeat carries the live figures (docs/live-stats.md): every 30 s at most, not every heartbeat. */
export const STATS_EVERY_MS = 30_000;

/**
 * The live figures of the host's running servers, for the heartbeat at the
 * stats cadence: a few host file reads per container (its cgroup; the sim:
 * its process), 4 containers at a time, no process started. CPU is the
 * counter's rise since the previous sample over the time between them.
 */
export class LiveStats {
  readonly #previous = new Map<number, { cpuUsec: number; at: number }>();
  #last = Number.NEGATIVE_INFINITY;

  constructor(private readonly runtime: Runtime) {}

  /** The figures if they are due at `now`, else undefined (the heartbeat then carries none). */
  async due(inventory: InventoryItem[], now = Date.now()): Promise<ServerStat[] | undefined> {
    const usage = this.runtime.usage?.bind(this.runtime);
    if (!usage || now - this.#last < STATS_EVERY_MS) return undefined;
    this.#last = now;
    const running = inventory.filter((c): c is InventoryItem & { serverId: string } => c.state === "running" && c.serverId !== null);
    const keep = new Set(running.map((c) => c.vmid));
    for (const v of this.#previous.keys()) if (!keep.has(v)) this.#previous.delete(v);
    const read = await mapBounded(running, 4, async (c) => {
      const u = await usage(c.vmid).catch(() => null);
      if (!u) return null;
      const prev = this.#previous.get(c.vmid);
      this.#previous.set(c.vmid, { cpuUsec: u.cpuUsec, at: now });
      const elapsedUsec = prev ? (now - prev.at) * 1000 : 0;
      // A counter that went back is a new cgroup (the container restarted): no figure until the next sample.
      const cpuPercent = prev && elapsedUsec > 0 && u.cpuUsec >= prev.cpuUsec ? Math.min(100_000, Math.round(((u.cpuUsec - prev.cpuUsec) / elapsedUsec) * 1000) / 10) : null;
      return { vmid: c.vmid, serverId: c.serverId, cpuPercent, memoryBytes: u.memoryBytes };
    });
    return read.filter((s): s is ServerStat => s !== null);
  }
}
