import type { HostRow, HostWithCounts } from "@zlh/db";
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
    network: presentNetwork(h),
  };
}

/** A host's network settings as the API shows them (null: none; the agent's own bridge and DHCP). */
export function presentNetwork(h: HostRow & { addresses?: number }) {
  if (h.network_mode === "static") {
    return {
      mode: "static" as const,
      bridge: h.network_bridge!,
      subnet: h.network_subnet!,
      gateway: h.network_gateway!,
      range: { first: h.network_range_first!, last: h.network_range_last! },
      addressesInUse: h.addresses ?? 0,
    };
  }
  if (h.network_mode === "dhcp") return { mode: "dhcp" as const, bridge: h.network_bridge! };
  return null;
}
