import type { Server } from "@zlh/api";
import type { ServerRow } from "@zlh/db";

/** Postgres timestamptz text -> ISO 8601. */
export function isoTime(pgText: string): string {
  return new Date(pgText).toISOString();
}

/** A server row as the panel API shows it. */
export function presentServer(row: ServerRow): Server {
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    status: row.status,
    desiredState: row.desired_state,
    generation: row.generation,
    hostId: row.host_id,
    vmid: row.vmid,
    ports: { game: row.game_port, rcon: row.rcon_port },
    minecraftVersion: row.minecraft_version,
    loaderVersion: row.loader_version,
    mods: row.mods,
    memoryMiB: row.memory_mib,
    cpuCores: row.cpu_cores,
    diskGiB: row.disk_gib,
    serverProperties: row.server_properties,
    failureReason: row.failure_reason,
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
  };
}
