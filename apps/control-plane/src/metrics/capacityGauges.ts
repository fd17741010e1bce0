import { Gauge, type Registry } from "prom-client";
import { readCapacityGauges, type CapacityGauges, type Db, type HostCapacity } from "@zlh/db";

/**
 * Servers by status and per-host capacity, read from the database on a
 * scrape (one statement shared by every gauge of the scrape). Cardinality is
 * bounded: `zlh_servers` has one series per server status (a fixed list,
 * every one exported, zeros included); the host gauges one per enrolled host
 * (labels `host_id` and `host`, the host's name), never per server.
 */
export function registerCapacityGauges(registry: Registry, db: Db): void {
  let pending: Promise<CapacityGauges> | null = null;
  const snapshot = () => (pending ??= readCapacityGauges(db).finally(() => setTimeout(() => (pending = null), 0)));
  new Gauge({
    name: "zlh_servers",
    help: "Servers by status; every status is exported, 0 when no server has it.",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      for (const r of (await snapshot()).servers) this.set({ status: r.status }, r.count);
    },
  });
  const perHost = (name: string, help: string, pick: (h: HostCapacity) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["host_id", "host"] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const h of (await snapshot()).hosts) this.set({ host_id: h.host_id, host: h.host }, pick(h));
      },
    });
  perHost("zlh_host_memory_total_bytes", "An enrolled host's memory capacity for servers.", (h) => h.memory_total_bytes);
  perHost("zlh_host_memory_used_bytes", "Memory the host's servers hold of its capacity (their plans, not their live use).", (h) => h.memory_used_bytes);
  perHost("zlh_host_cpu_total_cores", "An enrolled host's CPU capacity for servers, in cores.", (h) => h.cpu_total_cores);
  perHost("zlh_host_cpu_used_cores", "CPU cores the host's servers hold of its capacity.", (h) => h.cpu_used_cores);
  perHost("zlh_host_disk_total_bytes", "An enrolled host's disk capacity for servers.", (h) => h.disk_total_bytes);
  perHost("zlh_host_disk_used_bytes", "Disk the host's servers hold of its capacity.", (h) => h.disk_used_bytes);
  perHost("zlh_host_servers_held", "Servers (not deleted) placed on the host.", (h) => h.servers_held);
}
