import type { ServerRow } from "@zlh/db";
import { isHostConnected } from "../hosts/connectivity";

/** A server's lastError as the API shows it ({code, message, url, at}, `at` in ISO 8601). */
export interface PresentedError {
  code: string;
  message: string;
  url: string | null;
  at: string;
}

/**
 * How long leasable work may wait before the server says its host is not taking it: an agent asks for work
 * after every grant, every finished operation and at least every lease TTL, so two TTLs without a grant
 * is not a moment's delay.
 */
export const WAITING_TTLS = 2;

/**
 * Why a server's work is not moving when the reason is its host, not the work: the oldest queued operation
 * could have been leased for more than WAITING_TTLS lease TTLs and the host's agent is disconnected
 * (`host_disconnected`) or connected but has not taken it (`host_not_taking_work`: it is not asking, or it is
 * busy with as many operations as it runs at once). Null while the work is not waiting that long; the row
 * must come from getServer/listServers (the host's session and the waiting time).
 */
export function waitingOnHost(row: ServerRow, nowMs: number, leaseTtlMs: number): PresentedError | null {
  if (!row.work_waiting_since || row.status === "deleted") return null;
  const since = new Date(row.work_waiting_since);
  const waitedMs = nowMs - since.getTime();
  if (waitedMs <= WAITING_TTLS * leaseTtlMs) return null;
  const waited = `${Math.round(waitedMs / 1000)} s`;
  const at = since.toISOString();
  const heartbeat = row.host_heartbeat_at ?? null;
  if (!isHostConnected({ session_id: row.host_session_id ?? null, last_heartbeat_at: heartbeat }, nowMs, leaseTtlMs)) {
    const last = heartbeat ? `last heard from at ${new Date(heartbeat).toISOString()}` : "never connected";
    return { code: "host_disconnected", message: `work has waited ${waited} for host ${row.host_id}, whose agent is not connected (${last}); it runs once the agent reconnects.`, url: null, at };
  }
  return {
    code: "host_not_taking_work",
    message: `work has waited ${waited} for host ${row.host_id}, whose agent is connected but has not taken it (an agent asks at least every ${Math.round(leaseTtlMs / 1000)} s): it is not asking for work, or busy with as many operations as it runs at once.`,
    url: null,
    at,
  };
}
