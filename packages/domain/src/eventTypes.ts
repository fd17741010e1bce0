/**
 * Every event type the feed carries, in one list: the API documents it as an
 * enum (packages/api), the typed client is built from it, and a test checks
 * that every type a statement or the control plane writes is here. Each event has the same shape whatever its
 * type (position, type, at, serverId, hostId, operationId, actor, data).
 */
export const EVENT_TYPES = [
  // Servers
  "server.requested",
  "server.intent",
  "server.status_changed",
  "server.progress",
  "server.running",
  "server.manifest_resolved",
  "server.resources_released",
  "server.destroy_failed",
  "server.address_observed",
  "server.address_refused",
  "server.crashed",
  "server.crash_loop",
  "server.self_heal",
  "server.command",
  "server.change_requested",
  "server.change_resolved",
  "server.change_resources_kept",
  "server.change_applied",
  "server.change_rolled_back",
  "server.change_failed",
  "server.restore_requested",
  "server.restored",
  "server.restore_failed",
  "server.condition_changed",
  "server.edge_removed",
  "server.edge_removal_overdue",
  // Operations (the work an agent does for a server)
  "op.queued",
  "op.leased",
  "op.completed",
  "op.failed",
  "op.cancelled",
  "op.lease_expired",
  "op.retry_queued",
  "op.result_rejected",
  // Backups
  "backup.requested",
  "backup.completed",
  "backup.failed",
  "backup.deleted",
  "backup.archive_removed",
  "backup.archive_abandoned",
  // Hosts and their agents
  "host.enrolled",
  "host.token_rotated",
  "host.previous_token_expired",
  "host.cordoned",
  "host.uncordoned",
  "host.network_changed",
  "host.removed",
  "host.connected",
  "host.disconnected",
  // Drift (differences between the database and a host)
  "drift.detected",
  "drift.resolved",
  "drift.acknowledged",
  "drift.orphan_destroy",
  // The edge (DNS)
  "edge.published",
  "edge.unpublished",
  // Schedules
  "schedule.created",
  "schedule.updated",
  "schedule.deleted",
  "schedule.run_started",
  "schedule.run_late",
  "schedule.run_succeeded",
  "schedule.run_failed",
  "schedule.run_skipped",
  // API tokens
  "api_token.created",
  "api_token.revoked",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
