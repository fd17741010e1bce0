import type { EdgeNaming, EdgeRecord } from "../../desiredEdge";
import type { EdgeProvider, EdgeProviderFactory } from "../../provider";
import { normalName, type ZoneRecord } from "../dnsNames";
import { type HttpTarget, httpCall, providerError } from "../httpCall";
import { type RecordZoneApi, recordZoneProvider } from "../recordZone";
import { authZone, readSettings } from "../settings";

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
  /** The authoritative zone in Technitium (`authZone`): the provider's zone or a parent of it. */
  zone: string;
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

/** A record as the edge reads it, with the value parameters that name it to /delete. */
type TechnitiumZoneRecord = ZoneRecord & { value: Record<string, string> };

function technitiumProvider(name: string, config: TechnitiumConfig, naming: EdgeNaming): EdgeProvider {
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
  const toZoneRecord = (r: TechnitiumRecord): TechnitiumZoneRecord => {
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

  const recordParams = (r: EdgeRecord): Record<string, string> =>
    r.type === "A" ? { type: "A", ipAddress: r.address } : { type: "SRV", priority: String(r.priority), weight: String(r.weight), port: String(r.port), target: r.target };
  const api: RecordZoneApi<TechnitiumZoneRecord> = {
    label: target.label,
    zone,
    async recordsAt(domain, signal) {
      const answer = await call("/api/zones/records/get", { domain, listZone: "false" }, signal);
      // Only the name asked for: Technitium lists a name's records, never its children's, without listZone.
      return (answer.response?.records ?? []).map(toZoneRecord).filter((r) => r.name === domain);
    },
    async listZone(signal) {
      const answer = await call("/api/zones/records/get", { domain: zone, listZone: "true" }, signal);
      return (answer.response?.records ?? []).map(toZoneRecord);
    },
    async deleteRecord(r, signal) {
      await call("/api/zones/records/delete", { domain: r.name, type: r.type, ...r.value }, signal);
    },
    async writeRRset(domain, want, have, mark, signal) {
      if (want.length === 0) {
        for (const r of have) await api.deleteRecord(r, signal);
        return;
      }
      // overwrite=true replaces the name's whole RRset of the type: one record, however often it is applied.
      for (const [i, r] of want.entries()) {
        await call("/api/zones/records/add", { domain, ttl: String(r.ttl), overwrite: i === 0 ? "true" : "false", comments: mark, ...recordParams(r) }, signal);
      }
    },
  };
  return recordZoneProvider(name, "technitium", naming, api);
}

/** Settings: `url`, `token`, optional `authZone` (Technitium's zone: the provider's zone or a parent of it) and `timeoutMs` (5000). */
export const technitiumFactory: EdgeProviderFactory = {
  kind: "technitium",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("technitium", name, settings, ["url", "token", "authZone", "timeoutMs"]);
    const url = read.url("url");
    const token = read.secret("token", 16);
    return technitiumProvider(name, { url, token, zone: authZone(read, naming), timeoutMs: read.timeoutMs(5000) }, naming);
  },
};
