import type { Logger } from "pino";
import { type Db, listPublications, markPublicationsDue, recordEdgeDrift } from "@zlh/db";
import { sql } from "drizzle-orm";
import type { DesiredEdge, EdgeNaming } from "./desiredEdge";
import { auditProvider, markedOwners, resolveNamedOwners, wantedEdge } from "./edgeDiff";
import type { EdgeProvider } from "./provider";

/**
 * The periodic audit of one provider: what it holds (its whole zone or route list) against what the
 * database wants there. Repairs and removals are made due for the next edge pass (which applies and
 * verifies them); names in the naming scheme the platform does not own are edge drift, never touched.
 * A push-only provider cannot be read and is not audited.
 */
export async function auditEdgeProvider(deps: { db: Db; log: Logger; naming: EdgeNaming }, provider: EdgeProvider): Promise<{ due: number; drift: number } | null> {
  const listed = await provider.list(AbortSignal.timeout(60_000));
  if (listed === null) return null;
  const publications = await listPublications(deps.db, { provider: provider.name });
  const observed = resolveNamedOwners(listed, publications);
  const desired = new Map<string, { serverId: string; edge: DesiredEdge }>();
  for (const p of publications) {
    const edge = p.desired_hash === null ? null : wantedEdge(p, deps.naming);
    if (edge) desired.set(edge.fqdn, { serverId: p.server_id, edge });
  }
  // The owners a listing names: a mark of a server this database never had is someone else's (drift).
  const owners = markedOwners(observed);
  const known = new Set((await deps.db.execute<{ id: string }>(sql`select id from servers where id in (select jsonb_array_elements_text(${JSON.stringify(owners)}::jsonb)::uuid)`)).map((r) => r.id));
  const suffix = `.${deps.naming.zone}`;
  const inScheme = (fqdn: string) => fqdn.endsWith(suffix) && deps.naming.template.matches(fqdn.slice(0, -suffix.length));
  const actions = auditProvider(observed, desired, (id) => known.has(id.toLowerCase()), inScheme);
  const due = actions.flatMap((a) => (a.kind === "drift" ? [] : [{ serverId: a.serverId, provider: provider.name, fqdn: a.fqdn }]));
  const drift = actions.flatMap((a) => (a.kind === "drift" ? [{ fqdn: a.fqdn, detail: a.detail }] : []));
  await markPublicationsDue(deps.db, due);
  await recordEdgeDrift(deps.db, provider.name, drift);
  if (due.length > 0 || drift.length > 0) deps.log.info({ provider: provider.name, due: due.length, drift: drift.length }, "edge audit found differences");
  return { due: due.length, drift: drift.length };
}
