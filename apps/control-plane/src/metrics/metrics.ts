import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LONG_SECONDS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/**
 * This process's Prometheus metrics, on a registry of its own (tests run
 * several control planes in one process). What happens in the process is
 * counted as it happens (results, expiries, durations); what is in the
 * database (queues, drift, heartbeat lag, connections) is read at scrape
 * time by metrics/collectFromDatabase.ts, so every process reports the same
 * fleet-wide figures.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: "zlh_http_request_duration_seconds",
    help: "HTTP request latency, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly dispatchDuration = new Histogram({
    name: "zlh_operation_dispatch_seconds",
    help: "From an operation being planned to its first lease by an agent, by kind.",
    labelNames: ["kind"] as const,
    buckets: SECONDS,
    registers: [this.registry],
  });
  readonly operationDuration = new Histogram({
    name: "zlh_operation_duration_seconds",
    help: "From an operation being planned to its result being applied, by kind and status.",
    labelNames: ["kind", "status"] as const,
    buckets: LONG_SECONDS,
    registers: [this.registry],
  });
  readonly results = new Counter({
    name: "zlh_operation_results_total",
    help: "Results reported by agents, by verdict (applied, duplicate, rejected: a stale fencing token).",
    labelNames: ["verdict"] as const,
    registers: [this.registry],
  });
  readonly leasesGranted = new Counter({
    name: "zlh_leases_granted_total",
    help: "Leases granted to agents, by operation kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly leaseExpiries = new Counter({
    name: "zlh_lease_expiries_total",
    help: "Leases that expired (the agent stopped renewing), by what became of the operation (queued again, failed).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "zlh_reconcile_pass_duration_seconds",
    help: "One reconciliation pass, by scope (all hosts, or one host on its agent's connect).",
    labelNames: ["scope"] as const,
    buckets: SECONDS.concat([30, 60]),
    registers: [this.registry],
  });
  readonly connectedAgents = new Gauge({
    name: "zlh_connected_agents",
    help: "Agent sessions connected to this control-plane process.",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "zlh_" });
  }
}
