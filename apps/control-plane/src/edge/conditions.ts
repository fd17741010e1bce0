import type { ServerCondition } from "@zlh/api";
import type { PublicationRow, ServerRow } from "@zlh/db";

/**
 * A server's two conditions, never confused: `running` is its status (the game answered on its direct
 * address; no DNS involved), `reachable` is the edge's (applied and verified by a lookup on every configured
 * provider). No status waits on `reachable`.
 */
export interface Judged {
  status: boolean;
  reason: string;
  message: string;
}

/** `reachable` from the server's publications, one per configured provider. */
export function reachableCondition(s: { status: string; desired_state: string }, pubs: Pick<PublicationRow, "provider" | "desired_hash" | "applied_hash" | "next_attempt_at" | "last_error_code" | "last_error">[], providers: string[]): Judged {
  const wanted = pubs.filter((p) => p.desired_hash !== null && providers.includes(p.provider));
  if (wanted.length === 0) return { status: false, reason: "not_published", message: `nothing is published for a server that is ${s.desired_state === "deleted" ? "being deleted" : s.status}.` };
  const failing = wanted.find((p) => p.last_error_code !== null);
  if (failing) return { status: false, reason: failing.last_error_code!, message: failing.last_error ?? `${failing.provider} failed.` };
  const pending = providers.filter((name) => !wanted.some((p) => p.provider === name && p.applied_hash === p.desired_hash && p.next_attempt_at === null));
  if (pending.length > 0) return { status: false, reason: "propagating", message: `not yet applied and verified on ${pending.join(", ")}.` };
  return { status: true, reason: "verified", message: `applied and answered by a lookup on ${providers.join(", ")}.` };
}

/** The conditions the API shows. */
export function presentConditions(row: ServerRow, edgeConfigured: boolean): ServerCondition[] {
  const running: ServerCondition = {
    type: "running",
    status: row.status === "running",
    reason: row.status,
    message: row.status === "running" ? "the game answered on the server's own address." : `the server is ${row.status}.`,
    since: new Date(row.status_changed_at).toISOString(),
  };
  const r = row.reachable ?? null;
  const reachable: ServerCondition = r
    ? { type: "reachable", status: r.status, reason: r.reason, message: r.message, since: new Date(r.since).toISOString() }
    : {
        type: "reachable",
        status: false,
        reason: edgeConfigured ? "not_published" : "edge_not_configured",
        message: edgeConfigured ? "the edge has not published this server yet." : "no edge provider is configured (ZLH_EDGE_PROVIDERS).",
        since: new Date(row.created_at).toISOString(),
      };
  return [running, reachable];
}
