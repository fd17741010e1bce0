import { randomBytes } from "node:crypto";
import { delay, http, HttpResponse } from "msw";

/**
 * Cloudflare's API v4 DNS records endpoints as msw handlers, from its
 * documented shapes: every answer is `{ success, errors, messages, result }`
 * (lists add `result_info` and are paged), errors are `[{ code, message }]`:
 * 401 9109 for a token Cloudflare does not know, 403 10000 for one without
 * the zone, 404 81044 for a record id that is not there, 400 81058 for an
 * identical record, 429 with Retry-After when rate-limited.
 */
export interface FakeCfRecord {
  id: string;
  name: string;
  type: string;
  ttl: number;
  content: string;
  proxied: boolean;
  comment: string | null;
  data?: { priority: number; weight: number; port: number; target: string };
}

export interface FakeCloudflare {
  handlers: ReturnType<typeof http.get>[];
  records: Map<string, FakeCfRecord[]>;
  /** The largest page served, whatever per_page asks (Cloudflare's is large; a small one exercises paging). */
  maxPerPage: number;
  /** The next N requests are answered 429 with this Retry-After. */
  rateLimit: { remaining: number; retryAfter: string };
  hang: boolean;
  writes: string[];
}

export function fakeCloudflare(base: string, tokens: Record<string, string[]>): FakeCloudflare {
  const fake: FakeCloudflare = { handlers: [], records: new Map(), maxPerPage: 5_000_000, rateLimit: { remaining: 0, retryAfter: "0" }, hang: false, writes: [] };
  const fail = (status: number, code: number, message: string, headers?: Record<string, string>) =>
    HttpResponse.json({ success: false, errors: [{ code, message }], messages: [], result: null }, { status, headers });
  const ok = (result: unknown, extra: Record<string, unknown> = {}) => HttpResponse.json({ success: true, errors: [], messages: [], result, ...extra });
  const shown = (r: FakeCfRecord) => ({
    ...r,
    proxiable: r.type === "A",
    settings: {},
    meta: {},
    tags: [],
    created_on: "2026-12-01T10:00:00.000000Z",
    modified_on: "2026-12-01T10:00:00.000000Z",
  });

  /** Authentication, then the zone's records, as Cloudflare checks them. */
  const guard = async (request: Request, zoneId: string): Promise<FakeCfRecord[] | Response> => {
    if (fake.hang) await delay("infinite");
    if (fake.rateLimit.remaining > 0) {
      fake.rateLimit.remaining--;
      return fail(429, 971, "Please wait and consider throttling your request speed", { "retry-after": fake.rateLimit.retryAfter });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    const zones = token === undefined ? undefined : tokens[token];
    if (!zones) return fail(401, 9109, "Invalid access token");
    if (!zones.includes(zoneId) || !fake.records.has(zoneId)) return fail(403, 10000, "Authentication error");
    return fake.records.get(zoneId)!;
  };

  const fromBody = (body: Record<string, unknown>, id: string): FakeCfRecord | string => {
    const { type, name, ttl, proxied, comment, content, data } = body as Record<string, never>;
    if (typeof name !== "string" || typeof type !== "string") return "DNS record name and type are required";
    const base = { id, name: (name as string).toLowerCase(), type, ttl: typeof ttl === "number" ? ttl : 1, proxied: proxied === true, comment: typeof comment === "string" ? comment : null };
    if (type === "A") {
      if (typeof content !== "string" || !/^\d+\.\d+\.\d+\.\d+$/.test(content)) return "Content for A record must be a valid IPv4 address.";
      return { ...base, content };
    }
    if (type === "SRV") {
      const d = data as { priority?: number; weight?: number; port?: number; target?: string } | undefined;
      if (!d || typeof d.port !== "number" || typeof d.target !== "string") return "SRV record data is invalid";
      const full = { priority: d.priority ?? 0, weight: d.weight ?? 0, port: d.port, target: d.target };
      return { ...base, content: `${full.weight} ${full.port} ${full.target}`, data: full };
    }
    if (typeof content !== "string") return "Content is required";
    return { ...base, content };
  };
  const identical = (a: FakeCfRecord, b: FakeCfRecord) => a.id !== b.id && a.name === b.name && a.type === b.type && a.content === b.content;
  const path = `${base}/zones/:zoneId/dns_records`;

  fake.handlers = [
    http.get(path, async ({ request, params }) => {
      const records = await guard(request, String(params.zoneId));
      if (records instanceof Response) return records;
      const q = new URL(request.url).searchParams;
      const exact = q.get("name.exact")?.toLowerCase();
      const matching = records.filter((r) => (exact === undefined || r.name === exact) && (q.get("type") === null || r.type === q.get("type")));
      const perPage = Math.min(Number(q.get("per_page") ?? 100), fake.maxPerPage);
      const page = Number(q.get("page") ?? 1);
      const slice = matching.slice((page - 1) * perPage, page * perPage);
      return ok(slice.map(shown), { result_info: { page, per_page: perPage, count: slice.length, total_count: matching.length, total_pages: Math.ceil(matching.length / perPage) } });
    }),
    http.post(path, async ({ request, params }) => {
      const records = await guard(request, String(params.zoneId));
      if (records instanceof Response) return records;
      const record = fromBody((await request.json()) as Record<string, unknown>, randomBytes(16).toString("hex"));
      if (typeof record === "string") return fail(400, 9000, record);
      if (records.some((r) => identical(r, record))) return fail(400, 81058, "An identical record already exists.");
      records.push(record);
      fake.writes.push(`create ${record.type} ${record.name}`);
      return ok(shown(record));
    }),
    http.put(`${path}/:id`, async ({ request, params }) => {
      const records = await guard(request, String(params.zoneId));
      if (records instanceof Response) return records;
      const at = records.findIndex((r) => r.id === params.id);
      if (at < 0) return fail(404, 81044, "Record does not exist.");
      const record = fromBody((await request.json()) as Record<string, unknown>, String(params.id));
      if (typeof record === "string") return fail(400, 9000, record);
      if (records.some((r) => identical(r, record))) return fail(400, 81058, "An identical record already exists.");
      records[at] = record;
      fake.writes.push(`update ${record.type} ${record.name}`);
      return ok(shown(record));
    }),
    http.delete(`${path}/:id`, async ({ request, params }) => {
      const records = await guard(request, String(params.zoneId));
      if (records instanceof Response) return records;
      const at = records.findIndex((r) => r.id === params.id);
      if (at < 0) return fail(404, 81044, "Record does not exist.");
      fake.writes.push(`delete ${records[at]!.type} ${records[at]!.name}`);
      records.splice(at, 1);
      return ok({ id: params.id });
    }),
  ];
  return fake;
}
