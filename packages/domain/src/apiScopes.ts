/**
 * What an API client may do. The first three are a ladder, each including
 * the ones before it:
 * - `read`: GET only (dashboards, monitoring);
 * - `panel`: everything a hosting panel does with servers (create, change,
 *   start, stop, delete, read), but not the fleet;
 * - `admin`: also enrol, remove and rotate hosts, manage API tokens, metrics.
 * `metrics` stands beside the ladder: it reads `/metrics` and nothing else
 * (a Prometheus scraper's token), and `admin` may do what it does.
 */
export const API_SCOPES = ["read", "panel", "admin", "metrics"] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const LADDER: readonly ApiScope[] = ["read", "panel", "admin"];

export function scopeAllows(have: ApiScope, need: ApiScope): boolean {
  if (need === "metrics") return have === "metrics" || have === "admin";
  if (have === "metrics") return false;
  return LADDER.indexOf(have) >= LADDER.indexOf(need);
}

/** A client's name: what idempotency keys, events, logs and rate limits are keyed on. */
export const CLIENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
