import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { OPERATION_KINDS } from "@zlh/domain";
import type { ServerStat } from "@zlh/protocol";

/** How an execution of a leased operation ended: its result's outcome, its lease lost mid-way, or a crash of its handler. */
export const FINISH_OUTCOMES = ["succeeded", "failed", "lost", "crashed"] as const;
export type FinishOutcome = (typeof FINISH_OUTCOMES)[number];

/** What the agent knows at scrape time, read from its own state: no command run, no file of a container read. */
export interface AgentFigures {
  /** A session with the control plane is greeted (between its welcome and its end). */
  connected(): boolean;
  /** When the control plane last acknowledged a heartbeat (ms since the epoch), null: never in this process. */
  lastHeartbeatAck(): number | null;
  /** The kinds of the leases being executed (neither finished nor lost). */
  executing(): string[];
  /** Leases held: executing, or finished and waiting for their result's acknowledgement. */
  leasesHeld(): number;
  /** Results kept until the control plane acknowledges them. */
  unacknowledged(): number;
  /** The containers of the last inventory (null before the first). */
  containers(): { vmid: number; state: string }[] | null;
  /** The last live figures sent (session/liveStats.ts). */
  stats(): ServerStat[];
  /** Bytes the artifact cache allocates on disk (null: past the walk's bounds). */
  cacheBytes(): Promise<number | null>;
}

/**
 * The agent's own Prometheus metrics (docs/operations.md, Agent metrics), on
 * a registry of its own. Counted as they happen: finished executions. Read at
 * scrape time from AgentFigures: the connection, leases, containers, cache,
 * and the running servers' last live figures, one series per server of this
 * host (bounded by what the host holds). Every operation kind and outcome is
 * exported from 0, so an alert on one sees 0 rather than no data.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly #started = Date.now();
  readonly #finished = new Counter({
    name: "zlh_agent_operations_finished_total",
    help: "Executions of leased operations that ended, by kind and outcome (succeeded, failed, lost: its lease was taken back, crashed).",
    labelNames: ["kind", "outcome"] as const,
    registers: [this.registry],
  });

  constructor(figures: AgentFigures) {
    const r = [this.registry];
    for (const kind of OPERATION_KINDS) for (const outcome of FINISH_OUTCOMES) this.#finished.inc({ kind, outcome }, 0);
    new Gauge({ name: "zlh_agent_connected", help: "1 while a session with the control plane is open and greeted, else 0.", registers: r, collect() { this.set(figures.connected() ? 1 : 0); } });
    const started = this.#started;
    new Gauge({
      name: "zlh_agent_heartbeat_ack_age_seconds",
      help: "Seconds since the control plane last acknowledged a heartbeat (since the agent started, before the first).",
      registers: r,
      collect() { this.set((Date.now() - (figures.lastHeartbeatAck() ?? started)) / 1000); },
    });
    new Gauge({
      name: "zlh_agent_operations_in_flight",
      help: "Leased operations being executed, by kind.",
      labelNames: ["kind"] as const,
      registers: r,
      collect() {
        const counts = new Map<string, number>(OPERATION_KINDS.map((k) => [k, 0]));
        for (const k of figures.executing()) counts.set(k, (counts.get(k) ?? 0) + 1);
        for (const [kind, n] of counts) this.set({ kind }, n);
      },
    });
    new Gauge({ name: "zlh_agent_leases_held", help: "Leases held: executing, or finished and waiting for their result's acknowledgement.", registers: r, collect() { this.set(figures.leasesHeld()); } });
    new Gauge({ name: "zlh_agent_results_unacknowledged", help: "Results kept (on disk) until the control plane acknowledges them.", registers: r, collect() { this.set(figures.unacknowledged()); } });
    new Gauge({
      name: "zlh_agent_containers",
      help: "Containers on this host at the last inventory, by state.",
      labelNames: ["state"] as const,
      registers: r,
      collect() {
        const cts = figures.containers() ?? [];
        this.set({ state: "running" }, cts.filter((c) => c.state === "running").length);
        this.set({ state: "stopped" }, cts.filter((c) => c.state !== "running").length);
      },
    });
    new Gauge({
      name: "zlh_agent_cache_bytes",
      help: "Bytes the artifact cache allocates on disk (NaN: more files than a bounded walk measures).",
      registers: r,
      async collect() {
        // NaN, not 0, when the walk went past its bounds: a size that is not known.
        this.set((await figures.cacheBytes()) ?? Number.NaN);
      },
    });
    const perServer = (name: string, help: string, pick: (s: ServerStat) => number | null | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ["server_id", "vmid"] as const,
        registers: r,
        collect() {
          this.reset();
          // Only servers still running at the last inventory: a stopped one's last figures would be stale.
          const running = new Set((figures.containers() ?? []).filter((c) => c.state === "running").map((c) => c.vmid));
          for (const s of figures.stats()) {
            const v = pick(s);
            if (running.has(s.vmid) && v !== null && v !== undefined) this.set({ server_id: s.serverId, vmid: String(s.vmid) }, v);
          }
        },
      });
    perServer("zlh_agent_server_cpu_percent", "A running server's CPU use at the last sample, in percent of one core.", (s) => s.cpuPercent);
    perServer("zlh_agent_server_memory_bytes", "A running server's memory charged to its container at the last sample.", (s) => s.memoryBytes);
    perServer("zlh_agent_server_players_online", "Players online on a running server at the last sample (its status ping).", (s) => s.playersOnline);
    perServer("zlh_agent_server_disk_bytes", "Bytes a running server's volume uses at the last measure.", (s) => s.diskBytes);
    collectDefaultMetrics({ register: this.registry, prefix: "zlh_agent_" });
  }

  finished(kind: string, outcome: FinishOutcome): void {
    this.#finished.inc({ kind, outcome });
  }
}
