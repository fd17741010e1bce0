import Cloudflare from "cloudflare";
import { type DesiredEdge, type EdgeNaming, type EdgeRecord, minecraftSrvName } from "../../desiredEdge";
import { EdgeConfigError, type EdgeProvider, type EdgeProviderFactory } from "../../provider";
import { changedRRsets, claim, normalName, notOwner, observeName, observeZone, ownerMark, type ZoneRecord } from "../dnsNames";
import { type HttpTarget, providerError } from "../httpCall";
import { readSettings } from "../settings";
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
  /** The zone's name, for the records' names (the edge's zone or a parent of it). */
  zone: string;
  /** The edge's zone: `list` reports names under it only. */
  edgeZone: string;
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

function cloudflareProvider(name: string, config: CloudflareConfig): EdgeProvider {
  const target: HttpTarget = { label: `cloudflare provider ${JSON.stringify(name)} at zone ${config.zoneId}`, timeoutMs: config.timeoutMs, secrets: [config.apiToken] };
  // No retries inside the SDK: it would sleep out a Retry-After of any length, past the caller's deadline; the edge pass backs off instead.
  // Its logger off: nothing of a request (headers included) reaches the console; failures reach the caller as EdgeProviderErrors.
  const cf = new Cloudflare({ apiToken: config.apiToken, baseURL: config.baseUrl, maxRetries: 0, timeout: config.timeoutMs, logLevel: "off" });
  const zone_id = config.zoneId;
  const zone = config.zone;

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
      const out: (ZoneRecord & { id: string })[] = [];
      for await (const r of cf.dns.records.list({ zone_id, per_page: 1000, ...filter }, options)) out.push({ ...toZoneRecord(r as CfRecord), id: (r as CfRecord).id });
      return out;
    });
  const inZone = (fqdn: string): string => {
    const n = normalName(fqdn);
    if (!n.endsWith(`.${zone}`)) throw providerError(target, "invalid", `cannot hold ${fqdn}: it is not inside zone ${zone}.`);
    return n;
  };
  const namesOf = async (fqdn: string, signal: AbortSignal) => {
    const n = inZone(fqdn);
    const [a, srv] = await Promise.all([listAll("listing records", { name: { exact: n } }, signal), listAll("listing records", { name: { exact: minecraftSrvName(n) } }, signal)]);
    return { name: n, records: [...a, ...srv] };
  };

  const body = (r: EdgeRecord, comment: string) =>
    r.type === "A"
      ? { zone_id, type: "A" as const, name: r.name, content: r.address, ttl: r.ttl, proxied: false, comment }
      : { zone_id, type: "SRV" as const, name: r.name, ttl: r.ttl, comment, data: { priority: r.priority, weight: r.weight, port: r.port, target: r.target } };

  return {
    name,
    kind: "cloudflare",
    async apply(serverId, desired: DesiredEdge, signal) {
      const mark = ownerMark(serverId);
      const { name: fqdn, records } = await namesOf(desired.fqdn, signal);
      for (const { want, have } of changedRRsets(target.label, serverId, fqdn, desired.records, records)) {
        // Overwrite what is there in place (PUT keeps the record's id), create what is missing, delete the rest.
        for (const [i, r] of want.entries()) {
          const old = have[i];
          if (old) await sdk("updating a record", signal, (options) => cf.dns.records.update(old.id, body(r, mark), options));
          else await sdk("creating a record", signal, (options) => cf.dns.records.create(body(r, mark), options));
        }
        for (const old of have.slice(want.length)) await sdk("deleting a record", signal, (options) => cf.dns.records.delete(old.id, { zone_id }, options));
      }
    },

    async remove(serverId, fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      const owned = claim(records, serverId);
      if (owned === "free") return "absent";
      if (owned === "theirs") throw notOwner(target.label, n, serverId);
      for (const r of records) await sdk("deleting a record", signal, (options) => cf.dns.records.delete(r.id, { zone_id }, options));
      return "removed";
    },

    async read(fqdn, signal) {
      const { name: n, records } = await namesOf(fqdn, signal);
      return observeName(n, records);
    },

    async list(signal) {
      return observeZone(config.edgeZone, await listAll("listing the zone", {}, signal));
    },
  };
}

/** Settings: `apiToken`, `zoneId` (32 hex digits), optional `zone` (default the edge's), `baseUrl` and `timeoutMs` (10000). */
export const cloudflareFactory: EdgeProviderFactory = {
  kind: "cloudflare",
  create(name, settings, naming: EdgeNaming) {
    const read = readSettings("cloudflare", name, settings, ["apiToken", "zoneId", "zone", "baseUrl", "timeoutMs"]);
    const apiToken = read.secret("apiToken", 20);
    const zoneId = read.text("zoneId");
    if (zoneId === null || !/^[0-9a-f]{32}$/.test(zoneId)) read.fail("zoneId", "must be the zone's id, 32 lowercase hex digits (the zone's Overview page shows it).");
    const zoneText = read.text("zone");
    const zone = zoneText === null ? naming.zone : normalName(zoneText.trim());
    if (zone !== naming.zone && !naming.zone.endsWith(`.${zone}`)) read.fail("zone", `${JSON.stringify(zoneText)} must be the edge's zone ${naming.zone} or a parent of it.`);
    const baseUrl = settings.baseUrl === undefined ? "https://api.cloudflare.com/client/v4" : read.url("baseUrl");
    // Cloudflare takes a TTL of 60-86400 s, or 1 (automatic): a shorter one would fail every apply.
    if (naming.ttl !== 1 && naming.ttl < 60) throw new EdgeConfigError(`edge provider ${JSON.stringify(name)} (cloudflare): ZLH_EDGE_TTL ${naming.ttl} is under the 60 s Cloudflare accepts: raise it to 60 or more.`);
    return cloudflareProvider(name, { apiToken, zoneId: zoneId!, zone, edgeZone: naming.zone, baseUrl, timeoutMs: read.timeoutMs(10_000) });
  },
};
