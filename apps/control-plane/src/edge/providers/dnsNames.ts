import { type EdgeRecord, minecraftSrvName } from "../desiredEdge";
import { EdgeProviderError, type ObservedName } from "../provider";

/**
 * What DNS providers with a per-record note (Technitium's `comments`,
 * Cloudflare's `comment`) share: the ownership mark `zlh-owner=<serverId>`
 * on every record the platform writes, and how a zone's records become the
 * names the edge reports.
 */
const OWNER_PREFIX = "zlh-owner=";

/** One record of a zone as a provider lists it. */
export interface ZoneRecord {
  /** Lowercase, without the trailing dot. */
  name: string;
  type: string;
  /** The record's note (comment), null without one. */
  note: string | null;
  /** A and SRV records in desiredEdge's shape; null for every other type. */
  edge: EdgeRecord | null;
}

export function ownerMark(serverId: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(serverId)) throw new EdgeProviderError("invalid", "a server id for the ownership mark must be 1-64 letters, digits or '-'.");
  return `${OWNER_PREFIX}${serverId}`;
}

export function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

const SRV_PREFIX = minecraftSrvName("");

/** The edge name a record belongs to: `_minecraft._tcp.<name>`'s is `<name>`. */
function edgeNameOf(name: string): string {
  return name.startsWith(SRV_PREFIX) ? name.slice(SRV_PREFIX.length) : name;
}

/** The records' owner: the one server whose mark every record carries, else null (someone else's, or a mix). */
function ownerOf(records: readonly ZoneRecord[]): string | null {
  const marks = new Set(records.map((r) => r.note ?? ""));
  const [only] = [...marks];
  return marks.size === 1 && only!.startsWith(OWNER_PREFIX) && only!.length > OWNER_PREFIX.length ? only!.slice(OWNER_PREFIX.length) : null;
}

/** The A and SRV records of `fqdn` and `_minecraft._tcp.<fqdn>` (everything else at those names only decides the owner). */
export function observeName(fqdn: string, records: readonly ZoneRecord[]): ObservedName | null {
  if (records.length === 0) return null;
  const edge = records.flatMap((r) => (r.edge && ((r.edge.type === "A" && r.name === fqdn) || (r.edge.type === "SRV" && r.name === minecraftSrvName(fqdn))) ? [r.edge] : []));
  return { fqdn, owner: ownerOf(records), records: sortRecords(edge), route: null };
}

/**
 * A zone's records as edge names: every name directly under the edge's zone
 * holding an A record, an SRV record at its `_minecraft._tcp` name, or the
 * platform's mark. The apex (SOA, NS), names deeper or elsewhere (a parent
 * zone's `www`) and other types are names the edge never writes: left out.
 */
export function observeZone(zone: string, records: readonly ZoneRecord[]): ObservedName[] {
  const byName = new Map<string, ZoneRecord[]>();
  for (const r of records) {
    const key = edgeNameOf(r.name);
    if (!key.endsWith(`.${zone}`) || key.slice(0, -(zone.length + 1)).includes(".")) continue;
    byName.set(key, [...(byName.get(key) ?? []), r]);
  }
  const names: ObservedName[] = [];
  for (const [fqdn, rs] of byName) {
    // By type, not by edge shape: a disabled or proxied A record is still a name someone holds.
    const relevant = rs.some((r) => r.type === "A" || (r.type === "SRV" && r.name.startsWith(SRV_PREFIX)) || (r.note ?? "").startsWith(OWNER_PREFIX));
    const seen = relevant ? observeName(fqdn, rs) : null;
    if (seen) names.push(seen);
  }
  return names.sort((a, b) => a.fqdn.localeCompare(b.fqdn));
}

/** Whether `serverId` may write at `fqdn`: ours (every record marked for it), free (no record), or someone else's. */
export function claim(records: readonly ZoneRecord[], serverId: string): "ours" | "free" | "theirs" {
  if (records.length === 0) return "free";
  return ownerOf(records) === serverId ? "ours" : "theirs";
}

export function notOwner(label: string, fqdn: string, serverId: string): EdgeProviderError {
  return new EdgeProviderError("not_owner", `${label}: ${fqdn} holds records not marked "${OWNER_PREFIX}${serverId}": left alone (edge drift).`);
}

/** The same records, whatever their order: what decides that an apply has nothing to write. */
function sameRecords(a: readonly EdgeRecord[], b: readonly EdgeRecord[]): boolean {
  return JSON.stringify(sortRecords(a)) === JSON.stringify(sortRecords(b));
}

/** Each record with its fields in one order, names normalised, so that two equal records compare equal. */
function canonical(r: EdgeRecord): EdgeRecord {
  const name = normalName(r.name);
  return r.type === "A"
    ? { type: "A", name, ttl: r.ttl, address: r.address }
    : { type: "SRV", name, ttl: r.ttl, priority: r.priority, weight: r.weight, port: r.port, target: normalName(r.target) };
}

function sortRecords(rs: readonly EdgeRecord[]): EdgeRecord[] {
  return rs.map(canonical).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
}

/**
 * What an apply must write at `fqdn`: each RRset (A, SRV) whose records
 * differ from the desired ones, with the records there now. Someone else's
 * name is `not_owner` before anything is written; an RRset already as
 * desired is left out, so a second apply writes nothing.
 */
export function changedRRsets<R extends ZoneRecord>(label: string, serverId: string, fqdn: string, desired: readonly EdgeRecord[], records: readonly R[]): { want: EdgeRecord[]; have: R[] }[] {
  checkDesired(fqdn, desired);
  if (claim(records, serverId) === "theirs") throw notOwner(label, fqdn, serverId);
  return (["A", "SRV"] as const).flatMap((type) => {
    const want = desired.filter((r) => r.type === type);
    const have = records.filter((r) => r.type === type);
    const unchanged = have.every((r) => r.edge !== null) && sameRecords(want, have.flatMap((r) => (r.edge ? [r.edge] : [])));
    return unchanged ? [] : [{ want, have }];
  });
}

/** A desired record's name checked against the name it must have (`fqdn`, or its SRV name). */
function checkDesired(fqdn: string, records: readonly EdgeRecord[]): void {
  for (const r of records) {
    const expected = r.type === "A" ? fqdn : minecraftSrvName(fqdn);
    if (normalName(r.name) !== expected) throw new EdgeProviderError("invalid", `a ${r.type} record for ${fqdn} must be named ${expected}, not ${r.name}.`);
  }
}
