import type { HostWithCounts } from "@zlh/db";
import { isoTime } from "../servers/present";
import { isHostConnected } from "./connectivity";

/** A host as the API shows it. */
export function presentHost(h: HostWithCounts, leaseTtlMs: number, nowMs = Date.now()) {
  return {
    id: h.id,
    name: h.name,
    node: h.node,
    connected: isHostConnected(h, nowMs, leaseTtlMs),
    lastHeartbeatAt: h.last_heartbeat_at ? isoTime(h.last_heartbeat_at) : null,
    cordoned: h.cordoned_at !== null,
    cordonedAt: h.cordoned_at ? isoTime(h.cordoned_at) : null,
    capacity: { memoryMiB: h.memory_mib, cpuCores: h.cpu_cores, diskGiB: h.disk_gib },
    allocated: { memoryMiB: h.allocated_memory_mib, cpuCores: h.allocated_cpu_cores, diskGiB: h.allocated_disk_gib },
    servers: { total: h.servers, running: h.running },
  };
}
