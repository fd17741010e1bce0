import type { HostRow } from "@zlh/db";

/**
 * A host counts as connected while its agent has a session and heartbeated
 * within one lease TTL (agents heartbeat every TTL/3, so two missed beats are
 * tolerated before the panel shows it disconnected).
 */
export function isHostConnected(host: Pick<HostRow, "session_id" | "last_heartbeat_at">, nowMs: number, leaseTtlMs: number): boolean {
  if (!host.session_id || !host.last_heartbeat_at) return false;
  return nowMs - new Date(host.last_heartbeat_at).getTime() <= leaseTtlMs;
}
