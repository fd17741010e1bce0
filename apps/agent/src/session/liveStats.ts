import type { InventoryItem, OperationSpec, ServerStat } from "@zlh/protocol";
import { mapBounded } from "../runtime/mapBounded";
import type { Runtime } from "../runtime/runtime";
import { pingServer } from "../slp/ping";
import { playersOf, type Players } from "../slp/players";
import { DiskUse } from "./diskUse";
import type { GamePorts, GameTarget } from "./gamePorts";

/** How often a heartbeat carries the live figures (docs/live-stats.md): every 30 s at most, not every heartbeat. */
export const STATS_EVERY_MS = 30_000;
/** The status pings' time, at most, per sample: all servers' at once (16 at a time), so a heartbeat waits this long at most for them. */
export const STATS_PING_MS = 1500;
const PINGS_AT_ONCE = 16;


/**
 * The live figures of the host's running servers, for the heartbeat at the
 * stats cadence: a few host file reads per container (its cgroup; the sim:
 * its process), a status ping on its game port, 4 containers at a time, no
 * process started. CPU is the counter's rise since the previous sample over
 * the time between them; disk use is the volume's statfs (pct, lxc) or
 * DiskUse's last walk (the sim).
 */
export class LiveStats {
  readonly #previous = new Map<number, { cpuUsec: number; at: number }>();
  /**
   * Where each container's game answers, learned from the operations the agent ran on it (their spec), and
   * kept in the state directory (`ports`) across restarts of the agent.
   */
  #targets = new Map<number, GameTarget>();
  readonly #disk: DiskUse;
  #last = Number.NEGATIVE_INFINITY;
  #loaded: Promise<void> | null = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly ports?: GamePorts,
  ) {
    this.#disk = new DiskUse(runtime);
  }

  /**
   * The VMIDs of targets an inventory listed since they were learnt (or loaded): only such a container,
   * once no longer listed, was destroyed. A port learnt by a provision is kept until its container exists.
   */
  readonly #listed = new Set<number>();
  /** Loaded from the state directory and not yet checked against an inventory. */
  #unchecked = new Set<number>();

  /** Reads what an earlier run of the agent kept, once (before any operation: those learnt since are kept over it). */
  load(): Promise<void> {
    this.#loaded ??= (async () => {
      const kept = (await this.ports?.load()) ?? new Map<number, GameTarget>();
      this.#targets = new Map([...kept, ...this.#targets]);
      this.#unchecked = new Set(kept.keys());
    })();
    return this.#loaded;
  }

  /** Remembers where the server of an operation answers (the control plane's spec: its port and network). */
  learn(serverId: string, spec: Pick<OperationSpec, "vmid" | "gamePort" | "network">): void {
    const known = this.#targets.get(spec.vmid);
    if (known && known.serverId === serverId && known.gamePort === spec.gamePort && JSON.stringify(known.network) === JSON.stringify(spec.network)) return;
    this.#targets.set(spec.vmid, { serverId, gamePort: spec.gamePort, ...(spec.network ? { network: spec.network } : {}) });
    void this.ports?.save(this.#targets);
  }

  /** Resolves once the ports learnt so far are written (or failed to be). */
  async settled(): Promise<void> {
    await this.ports?.settled();
  }

  /**
   * Forgets the containers no longer on the host (destroyed), given those an inventory lists now: a target
   * listed before and not now, or loaded and not listed by the first inventory after (destroyed while the
   * agent was down; operations start only after that inventory, so none is in flight).
   */
  retain(vmids: Iterable<number>): void {
    const listed = new Set(vmids);
    const gone = [...this.#targets.keys()].filter((v) => !listed.has(v) && (this.#listed.has(v) || this.#unchecked.has(v)));
    for (const v of gone) {
      this.#targets.delete(v);
      this.#listed.delete(v);
    }
    for (const v of this.#targets.keys()) if (listed.has(v)) this.#listed.add(v);
    this.#unchecked.clear();
    if (gone.length > 0) void this.ports?.save(this.#targets);
  }

  /** The figures if they are due at `now`, else undefined (the heartbeat then carries none). */
  async due(inventory: InventoryItem[], now = Date.now()): Promise<ServerStat[] | undefined> {
    const usage = this.runtime.usage?.bind(this.runtime);
    if (!usage || now - this.#last < STATS_EVERY_MS) return undefined;
    this.#last = now;
    const running = inventory.filter((c): c is InventoryItem & { serverId: string } => c.state === "running" && c.serverId !== null);
    const keep = new Set(running.map((c) => c.vmid));
    for (const v of this.#previous.keys()) if (!keep.has(v)) this.#previous.delete(v);
    const [disk, players] = await Promise.all([this.#diskFigures([...keep], now), this.#allPlayers(running)]);
    const read = await mapBounded(running, 4, async (c) => {
      const u = await usage(c.vmid).catch(() => null);
      if (!u) return null;
      const prev = this.#previous.get(c.vmid);
      this.#previous.set(c.vmid, { cpuUsec: u.cpuUsec, at: now });
      const elapsedUsec = prev ? (now - prev.at) * 1000 : 0;
      // A counter that went back is a new cgroup (the container restarted): no figure until the next sample.
      const cpuPercent = prev && elapsedUsec > 0 && u.cpuUsec >= prev.cpuUsec ? Math.min(100_000, Math.round(((u.cpuUsec - prev.cpuUsec) / elapsedUsec) * 1000) / 10) : null;
      return { vmid: c.vmid, serverId: c.serverId, cpuPercent, memoryBytes: u.memoryBytes, playersOnline: players.get(c.vmid)?.online ?? null, playersMax: players.get(c.vmid)?.max ?? null, diskBytes: disk.get(c.vmid) ?? null };
    });
    return read.filter((s): s is NonNullable<typeof s> => s !== null);
  }

  /** Each container's volume figure where the runtime has one (one statfs each, every sample), else DiskUse's last walk. */
  async #diskFigures(vmids: number[], now: number): Promise<Map<number, number | null>> {
    const volume = this.runtime.volumeUsage?.bind(this.runtime);
    if (!volume) return this.#disk.figures(vmids, now);
    const figures = await mapBounded(vmids, 4, async (v) => [v, await volume(v).catch(() => null)] as const);
    return new Map(figures);
  }

  /**
   * The status pings' players of the servers whose port is known (and is
   * this server's), all within STATS_PING_MS from now: a ping not answered
   * by then, and one not started by then, has none.
   */
  async #allPlayers(running: { vmid: number; serverId: string }[]): Promise<Map<number, Players>> {
    const found = new Map<number, Players>();
    const end = Date.now() + STATS_PING_MS;
    const pinged = running.filter((c) => this.#targets.get(c.vmid)?.serverId === c.serverId);
    const pings = mapBounded(pinged, PINGS_AT_ONCE, async (c) => {
      const target = this.#targets.get(c.vmid);
      const left = end - Date.now();
      if (!target || left < 50) return;
      try {
        const players = playersOf(await pingServer(await this.runtime.address(c.vmid, target.network), target.gamePort, left));
        if (players && Date.now() <= end) found.set(c.vmid, players);
      } catch {
        // no answer, refused, malformed or too large: no players for this sample
      }
    });
    await Promise.race([pings, new Promise((r) => setTimeout(r, STATS_PING_MS).unref())]);
    return new Map(found); // a copy: a ping answering later changes nothing sent
  }
}
