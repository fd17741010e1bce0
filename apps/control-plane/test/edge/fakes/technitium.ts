import { delay, http, HttpResponse } from "msw";

/**
 * Technitium DNS Server's zone records API as msw handlers, from its
 * APIDOCS.md: every answer is HTTP 200 with `status` `ok`, `error` (and an
 * `errorMessage`) or `invalid-token`; parameters come as a query or a form
 * body; records are `{ name, type, ttl, rData, disabled, comments }`.
 */
export interface FakeRecord {
  name: string;
  type: string;
  ttl: number;
  rData: Record<string, unknown>;
  comments?: string;
  disabled?: boolean;
}

export interface FakeTechnitium {
  handlers: ReturnType<typeof http.post>[];
  /** Records by zone. */
  zones: Map<string, FakeRecord[]>;
  /** Every request's path and parameters, the token left out. */
  calls: { path: string; params: Record<string, string> }[];
  /** While set, requests are never answered (a hung server). */
  hang: boolean;
}

const VALUE_FIELDS: Record<string, string[]> = { A: ["ipAddress"], SRV: ["priority", "weight", "port", "target"], TXT: ["text"] };

export function fakeTechnitium(base: string, tokens: Record<string, string[]>): FakeTechnitium {
  const fake: FakeTechnitium = { handlers: [], zones: new Map(), calls: [], hang: false };
  const ok = (response?: unknown) => HttpResponse.json(response === undefined ? { status: "ok" } : { response, status: "ok" });
  const error = (errorMessage: string) => HttpResponse.json({ status: "error", errorMessage, stackTrace: "   at DnsServerCore.WebServiceZonesApi", innerErrorMessage: null });
  const zoneInfo = (name: string) => ({ name, type: "Primary", internal: false, dnssecStatus: "Unsigned", disabled: false });
  const shown = (r: FakeRecord) => ({ disabled: r.disabled === true, name: r.name, type: r.type, ttl: r.ttl, rData: r.rData, dnssecStatus: "Unknown", lastUsedOn: "0001-01-01T00:00:00", ...(r.comments ? { comments: r.comments } : {}) });

  const handle = (path: string, act: (p: Record<string, string>, zone: string, records: FakeRecord[]) => Response) =>
    http.post(`${base}${path}`, async ({ request }) => {
      if (fake.hang) await delay("infinite");
      const params = Object.fromEntries([...new URL(request.url).searchParams, ...new URLSearchParams(await request.text())]);
      const { token, ...rest } = params;
      fake.calls.push({ path, params: rest });
      const allowed = token === undefined ? undefined : tokens[token];
      if (!allowed) return HttpResponse.json({ status: "invalid-token", errorMessage: "Invalid token or session expired." });
      const domain = (params.domain ?? "").toLowerCase();
      if (!domain) return error("Parameter 'domain' missing.");
      const zone = (params.zone ?? [...fake.zones.keys()].find((z) => domain === z || domain.endsWith(`.${z}`)) ?? "").toLowerCase();
      const records = fake.zones.get(zone);
      if (!records) return error(`No such authoritative zone was found: ${params.zone ?? domain}`);
      if (!allowed.includes(zone)) return error("Access was denied.");
      if (domain !== zone && !domain.endsWith(`.${zone}`)) return error(`The domain name '${domain}' does not belong to the zone '${zone}'.`);
      return act({ ...rest, domain }, zone, records);
    });

  const rDataOf = (p: Record<string, string>): Record<string, unknown> | string => {
    const fields = VALUE_FIELDS[p.type ?? ""];
    if (!fields) return `Unsupported record type for this fake: ${p.type}`;
    const missing = fields.find((f) => p[f] === undefined);
    if (missing) return `Parameter '${missing}' missing.`;
    return Object.fromEntries(fields.map((f) => [f, ["priority", "weight", "port"].includes(f) ? Number(p[f]) : p[f]]));
  };
  const same = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a) === JSON.stringify(b);

  fake.handlers = [
    handle("/api/zones/records/get", (p, zone, records) => {
      const listed = p.listZone === "true" ? records : records.filter((r) => r.name === p.domain);
      return ok({ zone: zoneInfo(zone), records: listed.map(shown) });
    }),
    handle("/api/zones/records/add", (p, zone, records) => {
      const rData = rDataOf(p);
      if (typeof rData === "string") return error(rData);
      const record: FakeRecord = { name: p.domain!, type: p.type!, ttl: Number(p.ttl ?? 3600), rData, ...(p.comments ? { comments: p.comments } : {}) };
      const kept = records.filter((r) => !(r.name === record.name && r.type === record.type && (p.overwrite === "true" || same(r.rData, rData))));
      fake.zones.set(zone, [...kept, record]);
      return ok({ zone: zoneInfo(zone), addedRecord: shown(record) });
    }),
    handle("/api/zones/records/delete", (p, zone, records) => {
      const rData = rDataOf(p);
      if (typeof rData === "string") return error(rData);
      fake.zones.set(zone, records.filter((r) => !(r.name === p.domain && r.type === p.type && same(r.rData, rData))));
      return ok();
    }),
  ];
  return fake;
}

/** A zone as Technitium creates it: SOA and NS at the apex. */
export function newZone(zone: string): FakeRecord[] {
  return [
    { name: zone, type: "SOA", ttl: 900, rData: { primaryNameServer: `ns1.${zone}`, responsiblePerson: `hostadmin.${zone}`, serial: 1, refresh: 900, retry: 300, expire: 604800, minimum: 900 } },
    { name: zone, type: "NS", ttl: 3600, rData: { nameServer: `ns1.${zone}` } },
  ];
}
