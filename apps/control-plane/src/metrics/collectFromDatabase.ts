import { Gauge, type Registry } from "prom-client";
import { registerCapacityGauges } from "./capacityGauges";
import { hostStatsTotals, readFleetGauges, type Db, type FleetGauges, type HostStatsTotals } from "@zlh/db";

/**
 * Fleet-wide gauges read from the database when Prometheus scrapes (one
 * statement, readFleetGauges): live operations by kind and status, the
 * operation queue's depth and oldest age, the job queue's, open drift items
 * by kind, the connected hosts' heartbeat lag, and the database connections
 * of the control planes by state.
 */
export function registerDatabaseGauges(registry: Registry, db: Db, leaseTtlMs: number): void {
  let pending: Promise<FleetGauges> | null = null;
  // Every gauge's collect() runs on one scrape; they share one read.
  const snapshot = () => (pending ??= readFleetGauges(db, leaseTtlMs).finally(() => setTimeout(() => (pending = null), 0)));
  const scalar = (name: string, help: string, pick: (g: FleetGauges) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await snapshot()));
      },
    });

  new Gauge({
    name: "zlh_operations",
    help: "Operations queued or leased now, by kind and status.",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await snapshot()).operations) this.set({ kind: r.kind, status: r.status }, r.count);
    },
  });
  scalar("zlh_operation_queue_oldest_seconds", "Age of the oldest operation waiting for an agent (0 when none).", (g) => g.oldestQueuedSeconds);
  scalar("zlh_job_queue_depth", "graphile-worker jobs due and not yet taken.", (g) => g.jobsDue);
  scalar("zlh_job_queue_oldest_seconds", "How long the oldest due graphile-worker job has waited (0 when none).", (g) => g.oldestJobSeconds);
  new Gauge({
    name: "zlh_drift_items_open",
    help: "Open drift items, by kind.",
    labelNames: ["kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await snapshot()).drift) this.set({ kind: r.kind }, r.count);
    },
  });
  scalar("zlh_heartbeat_lag_seconds", "Seconds since the last heartbeat of the connected host heard from longest ago (0 with none connected).", (g) => g.heartbeatLagSeconds);
  new Gauge({
    name: "zlh_hosts",
    help: "Enrolled hosts, by whether their agent is connected.",
    labelNames: ["connected"] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.set({ connected: "true" }, s.hostsConnected);
      this.set({ connected: "false" }, s.hostsTotal - s.hostsConnected);
    },
  });
  new Gauge({
    name: "zlh_pg_connections",
    help: "Database connections of the control planes (application_name zlh-control-plane, all processes), by state.",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await snapshot()).connections) this.set({ state: r.state }, r.count);
    },
  });
  registerLiveStatsGauges(registry, db);
  registerCapacityGauges(registry, db);
}

/**
 * The servers' live figures (docs/live-stats.md), summed per host: one
 * series per enrolled host and gauge, never per server (a fleet of thousands
 * of servers would be thousands of series); a server's own figures are in
 * the API (`stats`, `GET /v1/servers/:id/stats`).
 */
function registerLiveStatsGauges(registry: Registry, db: Db): void {
  let pending: Promise<HostStatsTotals[]> | null = null;
  const snapshot = () => (pending ??= hostStatsTotals(db).finally(() => setTimeout(() => (pending = null), 0)));
  const perHost = (name: string, help: string, pick: (t: HostStatsTotals) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["host_id"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const t of await snapshot()) this.set({ host_id: t.host_id }, pick(t));
      },
    });
  perHost("zlh_host_servers_reporting", "Running servers whose agent reported live figures in the last 2 minutes, by host.", (t) => t.servers);
  perHost("zlh_host_server_cpu_percent", "The running servers' CPU, summed per host, in percent of one core.", (t) => t.cpu_percent);
  perHost("zlh_host_server_memory_bytes", "The running servers' memory (their cgroups'), summed per host.", (t) => t.memory_bytes);
  perHost("zlh_host_players_online", "Players online on the running servers (their status pings), summed per host.", (t) => t.players_online);
  perHost("zlh_host_server_disk_bytes", "The running servers' disk use (allocated bytes of their files), summed per host.", (t) => t.disk_bytes);
}
