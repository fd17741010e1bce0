import { type DesiredEdge, type EdgeNaming, type EdgeRecord, minecraftSrvName } from "../desiredEdge";
import { EdgeProviderError, type EdgeProvider } from "../provider";
import { changedRRsets, claim, normalName, notOwner, observeName, observeZone, ownerMark, type ZoneRecord } from "./dnsNames";

/**
 * What an HTTP DNS API with a per-record note (Technitium, Cloudflare) needs
 * to be an edge provider: the records at one name, the whole zone, one
 * record deleted, one RRset written. Ownership (the `zlh-owner=` mark),
 * which RRsets an apply must write and how a zone becomes edge names are
 * decided here once, so the two providers cannot disagree.
 */
export interface RecordZoneApi<R extends ZoneRecord> {
  /** `technitium provider "internal-dns" at http://...`: how sentences name it. */
  label: string;
  /** The authoritative zone the API holds (the provider's zone or a parent of it). */
  zone: string;
  /** The records at exactly `name` (lowercase, no trailing dot). */
  recordsAt(name: string, signal: AbortSignal): Promise<R[]>;
  /** Every record of the zone. */
  listZone(signal: AbortSignal): Promise<R[]>;
  deleteRecord(record: R, signal: AbortSignal): Promise<void>;
  /** Makes `want` the RRset at its name (`have` is what is there now, all of one type), each record carrying `mark`. */
  writeRRset(name: string, want: EdgeRecord[], have: R[], mark: string, signal: AbortSignal): Promise<void>;
}

export function recordZoneProvider<R extends ZoneRecord>(name: string, kind: string, naming: EdgeNaming, api: RecordZoneApi<R>): EdgeProvider {
  const inZone = (fqdn: string): string => {
    const n = normalName(fqdn);
    if (!n.endsWith(`.${api.zone}`)) throw new EdgeProviderError("notzone", `${api.label} cannot hold ${fqdn}: it is not inside zone ${api.zone}.`);
    return n;
  };
  const namesOf = async (fqdn: string, signal: AbortSignal) => {
    const n = inZone(fqdn);
    const [a, srv] = await Promise.all([api.recordsAt(n, signal), api.recordsAt(minecraftSrvName(n), signal)]);
    return { name: n, records: [...a, ...srv] };
  };

  return {
    name,
    kind,
    naming,
    publishes: "records",
    async apply(serverId, desired: DesiredEdge, signal) {
      const mark = ownerMark(serverId);
      const { name: fqdn, records } = await namesOf(desired.fqdn, signal);
      for (const { want, have } of changedRRsets(api.label, serverId, fqdn, desired.records, records)) {
        const type = (want[0] ?? have[0])!.type;
        await api.writeRRset(type === "A" ? fqdn : minecraftSrvName(fqdn), want, have, mark, signal);
      }
    },
    async remove(serverId, fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      const owned = claim(records, serverId);
      if (owned === "free") return "absent";
      if (owned === "theirs") throw notOwner(api.label, n, serverId);
      for (const r of records) await api.deleteRecord(r, signal);
      return "removed";
    },
    async read(fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      return observeName(n, records);
    },
    async list(signal) {
      return observeZone(naming.zone, await api.listZone(signal));
    },
  };
}
