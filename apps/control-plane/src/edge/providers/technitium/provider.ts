import { type DesiredEdge, type EdgeNaming, type EdgeRecord, minecraftSrvName } from "../../desiredEdge";
import type { EdgeProvider, EdgeProviderFactory } from "../../provider";
import { changedRRsets, claim, normalName, notOwner, observeName, observeZone, ownerMark, type ZoneRecord } from "../dnsNames";
import { type HttpTarget, httpCall, providerError } from "../httpCall";
import { readSettings } from "../settings";

/**
 * The edge's records in a zone of Technitium DNS Server, through its HTTP
 * API (`/api/zones/records/get|add|delete`, APIDOCS.md) with an API token.
 * Every call is a POST with a form body, so the token never sits in a URL
 * (where proxies and access logs keep it).
 *
 * Ownership: every record the platform writes carries the comment
 * `zlh-owner=<serverId>` (Technitium's per-record `comments`). A name is
 * ours when every record at it and at its `_minecraft._tcp` name carries our
 * mark; a record without it (made in the web console, by another tool) or
 * with another server's makes the name someone else's: `not_owner`, untouched.
 */
export interface TechnitiumConfig {
  url: string;
  token: string;
  /** The authoritative zone in Technitium: the edge's zone or a parent of it. */
  zone: string;
  /** The edge's zone: `list` reports names under it only (a parent zone holds names the edge never writes). */
  edgeZone: string;
  timeoutMs: number;
}

/** Technitium's answer: `status` is `ok`, `error` (with `errorMessage`) or `invalid-token`, all with HTTP 200. */
interface Answer {
  status?: string;
  errorMessage?: string;
  response?: { records?: TechnitiumRecord[] };
}

interface TechnitiumRecord {
  name: string;
  type: string;
  ttl: number;
  comments?: string | null;
  disabled?: boolean;
  rData?: { ipAddress?: string; priority?: number; weight?: number; port?: number; target?: string };
}

function technitiumProvider(name: string, config: TechnitiumConfig): EdgeProvider {
  const target: HttpTarget = { label: `technitium provider ${JSON.stringify(name)} at ${config.url}`, timeoutMs: config.timeoutMs, secrets: [config.token] };
  const zone = config.zone;

  const call = async (path: string, params: Record<string, string>, signal: AbortSignal): Promise<Answer> => {
    const body = new URLSearchParams({ token: config.token, zone, ...params });
    const res = await httpCall(target, `${config.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }, signal);
    if (res.status !== 200) throw providerError(target, res.status >= 500 ? "unavailable" : "rejected", `answered ${path} with HTTP ${res.status}.`);
    const answer = (res.body ?? {}) as Answer;
    if (answer.status === "ok") return answer;
    if (answer.status === "invalid-token") throw providerError(target, "unauthorized", `refused the API token (invalid-token: ${answer.errorMessage ?? "no message"}): create one under Administration, Sessions, Create Token, for a user with View and Modify on zone ${zone}.`);
    if (answer.status === "error") {
      const forbidden = /access was denied/i.test(answer.errorMessage ?? "");
      throw providerError(target, forbidden ? "unauthorized" : "rejected", `refused ${path} for zone ${zone}: ${answer.errorMessage ?? "no message"}`);
    }
    throw providerError(target, "protocol", `answered ${path} without a known status.`);
  };

  /** A record as the edge reads it, with the value parameters that name it to /delete (its rData's fields, as Technitium's API spells them). */
  const toZoneRecord = (r: TechnitiumRecord): ZoneRecord & { value: Record<string, string> } => {
    const recordName = normalName(r.name);
    const note = r.comments ? r.comments : null;
    const d = r.rData ?? {};
    const value = Object.fromEntries(Object.entries(d).flatMap(([k, v]) => (typeof v === "string" || typeof v === "number" ? [[k, String(v)]] : [])));
    const base = { name: recordName, type: r.type, note, value };
    // A disabled record is not answered: it is not the desired record (an apply writes it enabled again).
    if (r.disabled === true) return { ...base, edge: null };
    if (r.type === "A" && typeof d.ipAddress === "string") return { ...base, edge: { type: "A", name: recordName, ttl: r.ttl, address: d.ipAddress } };
    if (r.type === "SRV" && typeof d.target === "string" && typeof d.port === "number") {
      return { ...base, edge: { type: "SRV", name: recordName, ttl: r.ttl, priority: d.priority ?? 0, weight: d.weight ?? 0, port: d.port, target: normalName(d.target) } };
    }
    return { ...base, edge: null };
  };

  const recordsAt = async (domain: string, signal: AbortSignal) => {
    const answer = await call("/api/zones/records/get", { domain, listZone: "false" }, signal);
    // Only the name asked for: Technitium lists a name's records, never its children's, without listZone.
    return (answer.response?.records ?? []).map(toZoneRecord).filter((r) => r.name === domain);
  };
  const namesOf = async (fqdn: string, signal: AbortSignal) => {
    const name = inZone(fqdn);
    const [a, srv] = await Promise.all([recordsAt(name, signal), recordsAt(minecraftSrvName(name), signal)]);
    return { name, records: [...a, ...srv] };
  };
  const inZone = (fqdn: string): string => {
    const n = normalName(fqdn);
    if (!n.endsWith(`.${zone}`)) throw providerError(target, "invalid", `cannot hold ${fqdn}: it is not inside zone ${zone}.`);
    return n;
  };

  const recordParams = (r: EdgeRecord): Record<string, string> =>
    r.type === "A" ? { type: "A", ipAddress: r.address } : { type: "SRV", priority: String(r.priority), weight: String(r.weight), port: String(r.port), target: r.target };
  const remove = (r: ReturnType<typeof toZoneRecord>, signal: AbortSignal) => call("/api/zones/records/delete", { domain: r.name, type: r.type, ...r.value }, signal);

  return {
    name,
    kind: "technitium",
    async apply(serverId, desired: DesiredEdge, signal) {
      const mark = ownerMark(serverId);
      const { name: fqdn, records } = await namesOf(desired.fqdn, signal);
      for (const { want, have } of changedRRsets(target.label, serverId, fqdn, desired.records, records)) {
        if (want.length === 0) {
          for (const r of have) await remove(r, signal);
          continue;
        }
        // overwrite=true replaces the name's whole RRset of the type: one record, however often it is applied.
        const [first, ...rest] = want;
        const domain = first!.type === "A" ? fqdn : minecraftSrvName(fqdn);
        await call("/api/zones/records/add", { domain, ttl: String(first!.ttl), overwrite: "true", comments: mark, ...recordParams(first!) }, signal);
        for (const r of rest) await call("/api/zones/records/add", { domain, ttl: String(r.ttl), overwrite: "false", comments: mark, ...recordParams(r) }, signal);
      }
    },

    async remove(serverId, fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      const owned = claim(records, serverId);
      if (owned === "free") return "absent";
      if (owned === "theirs") throw notOwner(target.label, n, serverId);
      for (const r of records) await remove(r, signal);
      return "removed";
    },

    async read(fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      return observeName(n, records);
    },

    async list(signal) {
      const answer = await call("/api/zones/records/get", { domain: zone, listZone: "true" }, signal);
      return observeZone(config.edgeZone, (answer.response?.records ?? []).map(toZoneRecord));
    },
  };
}

/** Settings: `url`, `token`, optional `zone` (default the edge's zone) and `timeoutMs` (5000). */
export const technitiumFactory: EdgeProviderFactory = {
  kind: "technitium",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("technitium", name, settings, ["url", "token", "zone", "timeoutMs"]);
    const url = read.url("url");
    const token = read.secret("token", 16);
    const zoneText = read.text("zone");
    const zone = zoneText === null ? naming.zone : normalName(zoneText.trim());
    if (zone !== naming.zone && !naming.zone.endsWith(`.${zone}`)) read.fail("zone", `${JSON.stringify(zoneText)} must be the edge's zone ${naming.zone} or a parent of it.`);
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(zone)) read.fail("zone", `${JSON.stringify(zoneText)} is not a DNS zone such as example.com.`);
    return technitiumProvider(name, { url, token, zone, edgeZone: naming.zone, timeoutMs: read.timeoutMs(5000) });
  },
};
