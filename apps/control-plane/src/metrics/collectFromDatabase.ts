import { Gauge, type Registry } from "prom-client";
import { readFleetGauges, type Db, type FleetGauges } from "@zlh/db";

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
}
