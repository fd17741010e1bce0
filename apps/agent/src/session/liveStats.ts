import type { InventoryItem, OperationSpec, ServerStat } from "@zlh/protocol";
import { mapBounded } from "../runtime/mapBounded";
import type { Runtime } from "../runtime/runtime";
import { pingServer } from "../slp/ping";
import { playersOf, type Players } from "../slp/players";
import { DiskUse } from "./diskUse";

/** How often a heartbeat carries the live figures (docs/live-stats.md): every 30 s at most, not every heartbeat. */
export const STATS_EVERY_MS = 30_000;
/** The status ping's whole exchange, at most, per server per sample. */
export const STATS_PING_MS = 1500;

type Target = Pick<OperationSpec, "gamePort" | "network"> & { serverId: string };

/**
 * The live figures of the host's running servers, for the heartbeat at the
 * stats cadence: a few host file reads per container (its cgroup; the sim:
 * its process), a status ping on its game port, 4 containers at a time, no
 * process started. CPU is the counter's rise since the previous sample over
 * the time between them; disk use is DiskUse's last walk.
 */
export class LiveStats {
  readonly #previous = new Map<number, { cpuUsec: number; at: number }>();
  /** Where each container's game answers, learned from the operations the agent ran on it (their spec). */
  readonly #targets = new Map<number, Target>();
  readonly #disk: DiskUse;
  #last = Number.NEGATIVE_INFINITY;

  constructor(private readonly runtime: Runtime) {
    this.#disk = new DiskUse(runtime);
  }

  /** Remembers where the server of an operation answers (the control plane's spec: its port and network). */
  learn(serverId: string, spec: Pick<OperationSpec, "vmid" | "gamePort" | "network">): void {
    this.#targets.set(spec.vmid, { serverId, gamePort: spec.gamePort, network: spec.network });
  }

  /** The figures if they are due at `now`, else undefined (the heartbeat then carries none). */
  async due(inventory: InventoryItem[], now = Date.now()): Promise<ServerStat[] | undefined> {
    const usage = this.runtime.usage?.bind(this.runtime);
    if (!usage || now - this.#last < STATS_EVERY_MS) return undefined;
    this.#last = now;
    const running = inventory.filter((c): c is InventoryItem & { serverId: string } => c.state === "running" && c.serverId !== null);
    const keep = new Set(running.map((c) => c.vmid));
    for (const v of this.#previous.keys()) if (!keep.has(v)) this.#previous.delete(v);
    const disk = await this.#disk.figures([...keep], now);
    const read = await mapBounded(running, 4, async (c) => {
      const [u, players] = await Promise.all([usage(c.vmid).catch(() => null), this.#players(c)]);
      if (!u) return null;
      const prev = this.#previous.get(c.vmid);
      this.#previous.set(c.vmid, { cpuUsec: u.cpuUsec, at: now });
      const elapsedUsec = prev ? (now - prev.at) * 1000 : 0;
      // A counter that went back is a new cgroup (the container restarted): no figure until the next sample.
      const cpuPercent = prev && elapsedUsec > 0 && u.cpuUsec >= prev.cpuUsec ? Math.min(100_000, Math.round(((u.cpuUsec - prev.cpuUsec) / elapsedUsec) * 1000) / 10) : null;
      return { vmid: c.vmid, serverId: c.serverId, cpuPercent, memoryBytes: u.memoryBytes, playersOnline: players?.online ?? null, playersMax: players?.max ?? null, diskBytes: disk.get(c.vmid) ?? null };
    });
    return read.filter((s): s is NonNullable<typeof s> => s !== null);
  }

  /** The status ping's players, within STATS_PING_MS; null when the port is unknown (or not this server's) or nothing honest answers. */
  async #players(c: { vmid: number; serverId: string }): Promise<Players | null> {
    const target = this.#targets.get(c.vmid);
    if (!target || target.serverId !== c.serverId) return null;
    const deadline = new Promise<null>((r) => setTimeout(r, STATS_PING_MS, null).unref());
    const ping = (async () => playersOf(await pingServer(await this.runtime.address(c.vmid, target.network), target.gamePort, STATS_PING_MS)))().catch(() => null);
    return Promise.race([ping, deadline]);
  }
}
