/**
 * Every code an API error body can carry (`{ "error": "<code>", ... }`): the
 * one list the OpenAPI document's enum, the typed client and
 * apps/control-plane/src/http/errorStatus.ts (its HTTP status) are built
 * from. A new error class's code is added here, or errorStatus.ts does not
 * compile.
 */
export const ERROR_CODES = [
  "invalid_request",
  "invalid_json",
  "idempotency_key_missing",
  "invalid_cursor",
  "managed_property",
  "unauthorized",
  "forbidden",
  "server_not_found",
  "host_not_found",
  "api_token_not_found",
  "backup_not_found",
  "not_found",
  "method_not_allowed",
  "request_timeout",
  "host_name_taken",
  "host_not_empty",
  "network_in_use",
  "server_busy",
  "downgrade_refused",
  "change_in_progress",
  "capacity_exhausted",
  "invalid_transition",
  "disk_shrink_refused",
  "payload_too_large",
  "unsupported_media_type",
  "invalid_network",
  "idempotency_key_reused",
  "rate_limited",
  "too_many_streams",
  "internal_error",
  "command_failed",
  "unavailable",
  "command_timeout",
  "edge_not_configured",
  "schedule_not_found",
  "schedule_limit",
  "schedule_name_taken",
  "invalid_schedule",
  "drift_not_found",
  "modpack_invalid",
  "modpack_loader_unsupported",
  "modpack_not_found",
  "not_supported_by_type",
  "unknown_build",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
