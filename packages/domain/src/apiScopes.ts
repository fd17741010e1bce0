/**
 * What an API client may do, each scope including the ones before it:
 * - `read`: GET only (dashboards, monitoring);
 * - `panel`: everything a hosting panel does with servers (create, change,
 *   start, stop, delete, read), but not the fleet;
 * - `admin`: also enrol, remove and rotate hosts, manage API tokens, metrics.
 */
export const API_SCOPES = ["read", "panel", "admin"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export function scopeAllows(have: ApiScope, need: ApiScope): boolean {
  return API_SCOPES.indexOf(have) >= API_SCOPES.indexOf(need);
}

/** A client's name: what idempotency keys, events, logs and rate limits are keyed on. */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
