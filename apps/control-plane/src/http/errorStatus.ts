import type { ErrorCode } from "@zlh/domain";

/** The one place where error codes meet HTTP statuses (every code of ERROR_CODES has one). */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  idempotency_key_missing: 400,
  invalid_cursor: 400,
  cursor_expired: 410,
  managed_property: 400,
  unauthorized: 401,
  forbidden: 403,
  server_not_found: 404,
  operation_not_found: 404,
  host_not_found: 404,
  drift_not_found: 404,
  api_token_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  host_name_taken: 409,
  host_not_empty: 409,
  network_in_use: 409,
  invalid_network: 422,
  server_busy: 409,
  backup_not_found: 404,
  edge_not_configured: 404,
  schedule_not_found: 404,
  schedule_limit: 409,
  schedule_name_taken: 409,
  invalid_schedule: 422,
  not_supported_by_type: 422,
  unknown_build: 422,
  modpack_invalid: 422,
  modpack_loader_unsupported: 422,
  modpack_not_found: 404,
  modpack_quota_exceeded: 409,
  modpack_in_use: 409,
  too_many_uploads: 503,
  command_failed: 502,
  command_timeout: 504,
  downgrade_refused: 409,
  change_in_progress: 409,
  disk_shrink_refused: 400,
  capacity_exhausted: 409,
  invalid_transition: 409,
  idempotency_key_reused: 422,
  payload_too_large: 413,
  rate_limited: 429,
  too_many_streams: 429,
  request_timeout: 408,
  unsupported_media_type: 415,
  unavailable: 503,
  internal_error: 500,
};

export function httpStatusFor(code: string): number {
  return STATUS_BY_CODE[code as ErrorCode] ?? 500;
}

/** The codes answered with one HTTP status, for the OpenAPI document's error responses. */
export function codesWithStatus(status: number): ErrorCode[] {
  return (Object.keys(STATUS_BY_CODE) as ErrorCode[]).filter((code) => STATUS_BY_CODE[code] === status);
}
