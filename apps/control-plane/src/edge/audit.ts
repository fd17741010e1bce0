import type { Logger } from "pino";
import { type Db, listPublications, markPublicationsDue, recordEdgeDrift } from "@zlh/db";
import { attemptPublication } from "./attempt";
import { eachLimited } from "./eachLimited";
import { sql } from "drizzle-orm";
import type { DesiredEdge } from "./desiredEdge";
import { auditProvider, markedOwners, resolveNamedOwners, wantedOn } from "./edgeDiff";
import type { EdgeProvider } from "./provider";

/** The most repairs one audit of a provider makes itself; the rest stay due for the incremental passes. */
const AUDIT_REPAIRS = 500;

/**
 * The periodic audit of one provider: what it holds (its whole zone or route list) against what the
 * database wants there. What differs is repaired in the same run (made due, then applied or removed and
 * verified, as the incremental pass does), so a record deleted by hand is back when the first audit after it
 * ends; names in the naming scheme the platform does not own are edge drift, never touched. A push-only
 * provider cannot be read and is not audited.
 */
export async function auditEdgeProvider(deps: { db: Db; log: Logger; callTimeoutMs?: number }, provider: EdgeProvider): Promise<{ due: number; drift: number; repaired: number } | null> {
  const listed = await provider.list(AbortSignal.timeout(60_000));
  if (listed === null) return null;
  const publications = await listPublications(deps.db, { provider: provider.name });
  const observed = resolveNamedOwners(listed, publications);
  const desired = new Map<string, { serverId: string; edge: DesiredEdge }>();
  for (const p of publications) {
    const edge = p.desired_hash === null ? null : wantedOn(p, provider);
    if (edge) desired.set(edge.fqdn, { serverId: p.server_id, edge });
  }
  // The owners a listing names: a mark of a server this database never had is someone else's (drift).
  const owners = markedOwners(observed);
  const known = new Set((await deps.db.execute<{ id: string }>(sql`select id from servers where id in (select jsonb_array_elements_text(${JSON.stringify(owners)}::jsonb)::uuid)`)).map((r) => r.id));
  const { naming } = provider;
  const suffix = `.${naming.zone}`;
  const inScheme = (fqdn: string) => fqdn.endsWith(suffix) && naming.template.matches(fqdn.slice(0, -suffix.length));
  const actions = auditProvider(observed, desired, (id) => known.has(id.toLowerCase()), inScheme);
  // One row per server: a second action of the same server (two leftovers, or a leftover beside a missing name)
  // would be one upsert touching the row twice, which Postgres refuses. A leftover goes first (the pass then
  // removes it and publishes the wanted name); another is found by the next audit.
  const byServer = new Map<string, { serverId: string; provider: string; fqdn: string; leftover: boolean }>();
  for (const a of actions) {
    if (a.kind === "drift") continue;
    const seen = byServer.get(a.serverId);
    if (!seen || (!seen.leftover && a.kind === "remove")) byServer.set(a.serverId, { serverId: a.serverId, provider: provider.name, fqdn: a.fqdn, leftover: a.kind === "remove" });
  }
  const due = [...byServer.values()];
  const drift = actions.flatMap((a) => (a.kind === "drift" ? [{ fqdn: a.fqdn, detail: a.detail }] : []));
  await markPublicationsDue(deps.db, due);
  await recordEdgeDrift(deps.db, provider.name, drift);
  let repaired = 0;
  if (due.length > 0) {
    const ids = new Set(due.slice(0, AUDIT_REPAIRS).map((d) => d.serverId));
    const rows = (await listPublications(deps.db, { serverIds: [...ids] })).filter((p) => p.provider === provider.name && p.next_attempt_at !== null);
    await eachLimited(rows, 16, async (p) => {
      if (await attemptPublication(deps, provider, p)) repaired++;
    });
  }
  if (due.length > 0 || drift.length > 0) deps.log.info({ provider: provider.name, due: due.length, repaired, drift: drift.length }, "edge audit found differences");
  return { due: due.length, drift: drift.length, repaired };
}
