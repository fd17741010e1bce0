import { createHash } from "node:crypto";
import type { EdgeServerRow } from "@zlh/db";
import { type DesiredEdge, desiredEdge, type EdgeNaming, type EdgeRecord } from "./desiredEdge";
import { type EdgeProvider, NAMED_OWNER, type ObservedName } from "./provider";

/**
 * The pure half of the edge pass and audit: what a server should have on the edge (or nothing), its hash,
 * and whether what a provider reports matches it. Nothing here reads DNS as truth: observed state only
 * decides whether a repair is due.
 */
type EdgeInputs = Pick<EdgeServerRow, "id" | "vmid" | "address" | "game_port" | "status" | "desired_state"> & Partial<Pick<EdgeServerRow, "name" | "host_node">>;

/** A server with a container that came up: its name stays while it is stopped or restarting (the panel shows `running` apart). */
const PUBLISHED_STATUSES = new Set(["running", "starting", "stopping", "stopped"]);

/** What the server should have published, or null: nothing (not yet running once with an address, deleting, deleted, failed). */
export function wantedEdge(s: EdgeInputs, naming: EdgeNaming): DesiredEdge | null {
  if (s.address === null || s.desired_state === "deleted" || !PUBLISHED_STATUSES.has(s.status)) return null;
  return desiredEdge({ id: s.id, vmid: s.vmid, type: "fabric", address: s.address, gamePort: s.game_port, name: s.name, hostNode: s.host_node }, naming);
}

/**
 * What one provider should hold for the server, or null: its edge under the provider's own zone and target,
 * cut to what the provider holds (a DNS zone the records, a proxy the route; the webhook is told both). This is
 * the desired state per (server, provider) the pass hashes, applies and verifies.
 */
export function wantedOn(s: EdgeInputs, provider: Pick<EdgeProvider, "naming" | "publishes">): DesiredEdge | null {
  const edge = wantedEdge(s, provider.naming);
  if (edge === null || provider.publishes === "both") return edge;
  return provider.publishes === "records" ? { ...edge, route: null } : { ...edge, records: [] };
}

/** The server's name, published or not (what a removal targets). */
export function edgeName(s: EdgeInputs, naming: EdgeNaming): string {
  return desiredEdge({ id: s.id, vmid: s.vmid, type: "fabric", address: null, gamePort: s.game_port }, naming).fqdn;
}

/**
 * The hash of what one provider should hold: of the server's whole edge under the provider's zone and target
 * (not cut to what the provider holds, so a configuration without per-provider zones hashes exactly as before
 * they existed, and an upgrade makes nothing due). It changes whenever what the provider holds does.
 */
export function desiredHashOn(s: EdgeInputs, provider: Pick<EdgeProvider, "naming">): string | null {
  return edgeHash(wantedEdge(s, provider.naming));
}

/** What was published, hashed: the name, records and route (not the server's own name: it is not routed by). */
export function edgeHash(edge: DesiredEdge | null): string | null {
  return edge === null ? null : createHash("sha256").update(JSON.stringify({ fqdn: edge.fqdn, records: edge.records, route: edge.route })).digest("hex").slice(0, 32);
}

const key = (r: EdgeRecord) => (r.type === "A" ? `A ${r.name} ${r.ttl} ${r.address}` : `SRV ${r.name} ${r.ttl} ${r.priority} ${r.weight} ${r.port} ${r.target}`);

/** Whether `observed` is marked as `serverId`'s: by its id, or by the naming scheme (a proxy's route list, which holds no mark). */
const heldFor = (serverId: string, observed: ObservedName) => observed.owner === serverId || observed.owner === NAMED_OWNER;

/** True when the provider holds exactly the desired records (and route, for a proxy), marked as the server's. */
export function matchesDesired(serverId: string, desired: DesiredEdge, observed: ObservedName | null): boolean {
  if (!observed || !heldFor(serverId, observed)) return false;
  const want = desired.records.map(key).sort();
  const have = observed.records.map(key).sort();
  if (want.length !== have.length || want.some((k, i) => k !== have[i])) return false;
  if (observed.route === null) return true;
  return desired.route !== null && observed.route.address === desired.route.address && observed.route.port === desired.route.port;
}

/** True when nothing of the server's is left at the name (a name someone else holds is not ours to judge). */
export function removalVerified(serverId: string, observed: ObservedName | null): boolean {
  return observed === null || !heldFor(serverId, observed);
}

/**
 * A listing whose names are owned by the naming scheme (NAMED_OWNER) given the owner the database has for each
 * name: the live server holding it, else the last one that did (a deleted server's route, to be removed); a
 * name in the scheme that no server of this database ever had stays unowned, reported and never touched.
 */
export function resolveNamedOwners(observed: ObservedName[], holders: { server_id: string; fqdn: string; desired_hash: string | null }[]): ObservedName[] {
  const byName = new Map<string, string>();
  for (const h of holders) if (!byName.has(h.fqdn)) byName.set(h.fqdn, h.server_id);
  for (const h of holders) if (h.desired_hash !== null) byName.set(h.fqdn, h.server_id);
  return observed.map((o) => (o.owner === NAMED_OWNER ? { ...o, owner: byName.get(o.fqdn) ?? null } : o));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The server ids a listing's marks name, to look up. A mark is text anyone with the zone can write: only a
 * well-formed UUID is looked up (Postgres would refuse a malformed one in the `::uuid` cast, failing the audit).
 */
export function markedOwners(observed: ObservedName[]): string[] {
  return [...new Set(observed.flatMap((o) => (o.owner && UUID.test(o.owner) ? [o.owner.toLowerCase()] : [])))];
}

export type AuditAction = { kind: "repair"; serverId: string; fqdn: string } | { kind: "remove"; serverId: string; fqdn: string } | { kind: "drift"; fqdn: string; detail: Record<string, unknown> };

/** The most drift items one audit of a provider reports, and records each quotes: a zone of junk must not flood the drift list. */
const MAX_DRIFT = 1000;
const MAX_DRIFT_RECORDS = 20;

/**
 * One provider's listing against the database: a desired name missing or different is repaired, a name marked
 * as a server's that should hold nothing there is removed, a name in the naming scheme nobody marked (or
 * marked by a server this database does not know) is drift, reported and never touched.
 */
export function auditProvider(
  observed: ObservedName[],
  desired: Map<string, { serverId: string; edge: DesiredEdge }>,
  known: (serverId: string) => boolean,
  inScheme: (fqdn: string) => boolean,
): AuditAction[] {
  const out: AuditAction[] = [];
  const seen = new Set<string>();
  let drift = 0;
  for (const o of observed) {
    seen.add(o.fqdn);
    const want = desired.get(o.fqdn);
    if (o.owner === null || !known(o.owner)) {
      if ((inScheme(o.fqdn) || want) && drift++ < MAX_DRIFT) {
        // What a provider answers is anyone's text: a bounded part of it is reported.
        const detail = { reason: o.owner === null ? "not_owned" : "unknown_owner", owner: o.owner?.slice(0, 64) ?? null, records: o.records.slice(0, MAX_DRIFT_RECORDS), route: o.route && { address: o.route.address.slice(0, 255), port: o.route.port } };
        out.push({ kind: "drift", fqdn: o.fqdn, detail });
      }
    } else if (!want || want.serverId !== o.owner) {
      out.push({ kind: "remove", serverId: o.owner, fqdn: o.fqdn });
    } else if (!matchesDesired(o.owner, want.edge, o)) {
      out.push({ kind: "repair", serverId: o.owner, fqdn: o.fqdn });
    }
  }
  for (const [fqdn, want] of desired) if (!seen.has(fqdn)) out.push({ kind: "repair", serverId: want.serverId, fqdn });
  return out;
}

/** Seconds between attempts of a failing provider: 1, 2, 4, ... up to 5 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.min(attempts, 9));
}
