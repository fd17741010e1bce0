import Cloudflare from "cloudflare";
import type { EdgeNaming, EdgeRecord } from "../../desiredEdge";
import { EdgeConfigError, type EdgeProvider, type EdgeProviderFactory } from "../../provider";
import { normalName, type ZoneRecord } from "../dnsNames";
import type { HttpTarget } from "../httpCall";
import { type RecordZoneApi, recordZoneProvider } from "../recordZone";
import { authZone, readSettings } from "../settings";
import { cloudflareFailure } from "./errors";

/**
 * The edge's records in a Cloudflare zone, through the official `cloudflare`
 * SDK (API v4, `/zones/{zone_id}/dns_records`) with an API token that has
 * Zone.DNS Edit on that zone.
 *
 * Ownership: every record the platform writes carries the comment
 * `zlh-owner=<serverId>` (record comments exist on every plan; tags do not).
 * A name is ours when every record at it and its `_minecraft._tcp` name
 * carries our mark; anything else is someone else's: `not_owner`, untouched.
 * Records are never proxied (Cloudflare's proxy carries HTTP, not Minecraft).
 */
interface CloudflareConfig {
  apiToken: string;
  zoneId: string;
  /** The Cloudflare zone's name (`authZone`): the provider's zone or a parent of it. */
  zone: string;
  baseUrl: string;
  timeoutMs: number;
}

/** A record as the API lists it (the fields the edge reads). */
interface CfRecord {
  id: string;
  name: string;
  type: string;
  ttl: number;
  content?: string;
  proxied?: boolean;
  comment?: string | null;
  data?: { priority?: number; weight?: number; port?: number; target?: string };
}

type CfZoneRecord = ZoneRecord & { id: string };

function cloudflareProvider(name: string, config: CloudflareConfig, naming: EdgeNaming): EdgeProvider {
  const target: HttpTarget = { label: `cloudflare provider ${JSON.stringify(name)} at zone ${config.zoneId}`, timeoutMs: config.timeoutMs, secrets: [config.apiToken] };
  // No retries inside the SDK: it would sleep out a Retry-After of any length, past the caller's deadline; the edge pass backs off instead.
  // Its logger off: nothing of a request (headers included) reaches the console; failures reach the caller as EdgeProviderErrors.
  const cf = new Cloudflare({ apiToken: config.apiToken, baseURL: config.baseUrl, maxRetries: 0, timeout: config.timeoutMs, logLevel: "off" });
  const zone_id = config.zoneId;

  const sdk = async <T>(what: string, signal: AbortSignal, call: (options: { signal: AbortSignal }) => Promise<T>): Promise<T> => {
    const deadline = AbortSignal.timeout(config.timeoutMs);
    try {
      return await call({ signal: AbortSignal.any([signal, deadline]) });
    } catch (e) {
      throw cloudflareFailure(target, what, e, signal.aborted, deadline.aborted);
    }
  };

  const toZoneRecord = (r: CfRecord): ZoneRecord => {
    const recordName = normalName(r.name);
    const note = r.comment ? r.comment : null;
    // A proxied A record answers with Cloudflare's addresses, not ours: it is not the desired record (an apply turns the proxy off again).
    if (r.type === "A" && r.content && r.proxied !== true) return { name: recordName, type: "A", note, edge: { type: "A", name: recordName, ttl: r.ttl, address: r.content } };
    const d = r.data;
    if (r.type === "SRV" && d && typeof d.port === "number" && typeof d.target === "string") {
      return { name: recordName, type: "SRV", note, edge: { type: "SRV", name: recordName, ttl: r.ttl, priority: d.priority ?? 0, weight: d.weight ?? 0, port: d.port, target: normalName(d.target) } };
    }
    return { name: recordName, type: r.type, note, edge: null };
  };

  const listAll = (what: string, filter: { name?: { exact: string } }, signal: AbortSignal) =>
    sdk(what, signal, async (options) => {
      const out: CfZoneRecord[] = [];
      for await (const r of cf.dns.records.list({ zone_id, per_page: 1000, ...filter }, options)) out.push({ ...toZoneRecord(r as CfRecord), id: (r as CfRecord).id });
      return out;
    });
  const body = (r: EdgeRecord, comment: string) =>
    r.type === "A"
      ? { zone_id, type: "A" as const, name: r.name, content: r.address, ttl: r.ttl, proxied: false, comment }
      : { zone_id, type: "SRV" as const, name: r.name, ttl: r.ttl, comment, data: { priority: r.priority, weight: r.weight, port: r.port, target: r.target } };
  const api: RecordZoneApi<CfZoneRecord> = {
    label: target.label,
    zone: config.zone,
    recordsAt: (name, signal) => listAll("listing records", { name: { exact: name } }, signal),
    listZone: (signal) => listAll("listing the zone", {}, signal),
    async deleteRecord(r, signal) {
      await sdk("deleting a record", signal, (options) => cf.dns.records.delete(r.id, { zone_id }, options));
    },
    async writeRRset(_name, want, have, mark, signal) {
      // Overwrite what is there in place (PUT keeps the record's id), create what is missing, delete the rest.
      for (const [i, r] of want.entries()) {
        const old = have[i];
        if (old) await sdk("updating a record", signal, (options) => cf.dns.records.update(old.id, body(r, mark), options));
        else await sdk("creating a record", signal, (options) => cf.dns.records.create(body(r, mark), options));
      }
      for (const old of have.slice(want.length)) await api.deleteRecord(old, signal);
    },
  };
  return recordZoneProvider(name, "cloudflare", naming, api);
}

/** Settings: `apiToken`, `zoneId` (32 hex digits), optional `authZone` (the Cloudflare zone's name, default the provider's zone), `baseUrl` and `timeoutMs` (10000). */
export const cloudflareFactory: EdgeProviderFactory = {
  kind: "cloudflare",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("cloudflare", name, settings, ["apiToken", "zoneId", "authZone", "baseUrl", "timeoutMs"]);
    const apiToken = read.secret("apiToken", 20);
    const zoneId = read.text("zoneId");
    if (zoneId === null || !/^[0-9a-f]{32}$/.test(zoneId)) read.fail("zoneId", "must be the zone's id, 32 lowercase hex digits (the zone's Overview page shows it).");
    const zone = authZone(read, naming);
    const baseUrl = settings.baseUrl === undefined ? "https://api.cloudflare.com/client/v4" : read.url("baseUrl");
    // Cloudflare takes a TTL of 60-86400 s, or 1 (automatic): a shorter one would fail every apply.
    if (naming.ttl !== 1 && naming.ttl < 60) throw new EdgeConfigError(`edge provider ${JSON.stringify(name)} (cloudflare): ZLH_EDGE_TTL ${naming.ttl} is under the 60 s Cloudflare accepts: raise it to 60 or more.`);
    return cloudflareProvider(name, { apiToken, zoneId: zoneId!, zone, baseUrl, timeoutMs: read.timeoutMs(10_000) }, naming);
  },
};
