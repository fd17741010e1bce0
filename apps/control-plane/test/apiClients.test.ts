import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { ZLH_VERSION } from "@zlh/process";
import { loadConfig } from "../src/config";
import { apiClient, serverBody, startTestPlane, type Api } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const ADMIN = "ops:admin=admin-token-0123456789";
const PANEL_OLD = "panel:panel=panel-token-old-0123456789";
const PANEL_NEW = "panel:panel=panel-token-new-0123456789";
const READER = "grafana:read=reader-token-0123456789";
const SCRAPER = "prometheus:metrics=scrape-token-0123456789";
const tokenOf = (entry: string) => entry.slice(entry.indexOf("=") + 1);

describe("ZLH_API_TOKENS entries", () => {
  const env = { DATABASE_URL: "postgres://x/y", ZLH_SECRETS_KEY: Buffer.alloc(32).toString("base64") };
  it("reads token, name=token and name:scope=token, splitting at the first =", () => {
    const c = loadConfig({ ...env, ZLH_API_TOKENS: "bare-token-0123456789, panel:panel=tok=with=equals-0123, ops=admin-token-0123456789" });
    expect(c.apiClients).toEqual([
      { name: expect.stringMatching(/^[0-9a-f]{64}$/), scope: "admin", token: "bare-token-0123456789" },
      { name: "panel", scope: "panel", token: "tok=with=equals-0123" },
      { name: "ops", scope: "admin", token: "admin-token-0123456789" },
    ]);
  });
  it("refuses a bad name, an unknown scope, a short token and one client with two scopes, naming the variable", () => {
    for (const bad of ["-x=0123456789abcdef", "p:root=0123456789abcdef", "p=short", "p:panel=0123456789abcdef,p:admin=fedcba9876543210"]) {
      expect(() => loadConfig({ ...env, ZLH_API_TOKENS: bad }), bad).toThrow(/^ZLH_API_TOKENS: /);
    }
  });
});

describe("named API clients, scopes, rate limits and timeouts", () => {
  let t: Plane;
  let admin: Api;
  let panelOld: Api;
  let panelNew: Api;
  let reader: Api;
  beforeAll(async () => {
    t = await startTestPlane(
      { ZLH_API_TOKENS: [ADMIN, PANEL_OLD, PANEL_NEW, READER, SCRAPER].join(","), ZLH_RATE_LIMIT_PER_CLIENT: "40", ZLH_HTTP_REQUEST_TIMEOUT_MS: "600" },
      { runWorker: false },
    );
    [admin, panelOld, panelNew, reader] = [ADMIN, PANEL_OLD, PANEL_NEW, READER].map((e) => apiClient(t.plane.url, tokenOf(e)));
    expect((await admin("POST", "/v1/hosts", { name: "h1", node: "h1", capacity: { memoryMiB: 100_000, cpuCores: 100, diskGiB: 1000 } })).status).toBe(201);
  });

  it("keeps idempotency across a token rotation: the same key from the client's new token replays, not a second server", async () => {
    const body = serverBody(1);
    const first = await panelOld("POST", "/v1/servers", body, { "idempotency-key": "rotate-1" });
    expect(first.status).toBe(202);
    const again = await panelNew("POST", "/v1/servers", body, { "idempotency-key": "rotate-1" });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    // Another client's same key is its own.
    const other = await admin("POST", "/v1/servers", body, { "idempotency-key": "rotate-1" });
    expect(other.body.id).not.toBe(first.body.id);
    expect((await t.sql`select count(*)::int as n from servers where idempotency_key = 'rotate-1'`)[0]!.n).toBe(2);
  });

  it("records the acting client on the events its requests cause", async () => {
    const created = await panelNew("POST", "/v1/servers", serverBody(2), { "idempotency-key": "actor-1" });
    await panelOld("POST", `/v1/servers/${created.body.id}/stop`);
    const events = await t.sql`select type, actor from events where server_id = ${created.body.id} order by id`;
    expect(events.length).toBeGreaterThan(1);
    expect(new Set(events.map((e) => e.actor))).toEqual(new Set(["panel"]));
    const [enrolled] = await t.sql`select actor from events where type = 'host.enrolled'`;
    expect(enrolled!.actor).toBe("ops");
  });

  it("scopes: panel manages servers but not hosts or tokens; read only reads; admin does all", async () => {
    expect((await panelOld("POST", "/v1/hosts", { name: "h2", node: "h2", capacity: { memoryMiB: 1, cpuCores: 1, diskGiB: 1 } })).body).toEqual({
      error: "forbidden",
      message: expect.stringContaining("needs admin"),
    });
    const hostId = (await admin("GET", "/v1/hosts")).body.items[0].id;
    expect((await panelOld("POST", `/v1/hosts/${hostId}/rotate-token`)).status).toBe(403);
    expect((await panelOld("POST", "/v1/api-tokens", { client: "x", scope: "admin" })).status).toBe(403);
    expect((await panelOld("GET", "/v1/hosts")).status).toBe(200);
    expect((await reader("GET", "/v1/servers")).status).toBe(200);
    const denied = await reader("POST", "/v1/servers", serverBody(3), { "idempotency-key": "reader-1" });
    expect(denied.status).toBe(403);
    expect((await t.sql`select count(*)::int as n from servers where idempotency_key = 'reader-1'`)[0]!.n).toBe(0);
  });

  it("tells a token's client and scope on /v1/whoami (the console hides what the scope cannot do); a metrics token is refused", async () => {
    expect((await reader("GET", "/v1/whoami")).body).toEqual({ client: "grafana", scope: "read" });
    expect((await panelOld("GET", "/v1/whoami")).body).toEqual({ client: "panel", scope: "panel" });
    expect((await admin("GET", "/v1/whoami")).body).toEqual({ client: "ops", scope: "admin" });
    expect((await apiClient(t.plane.url, tokenOf(SCRAPER))("GET", "/v1/whoami")).status).toBe(403);
    expect((await apiClient(t.plane.url, "not-a-token-0123456789")("GET", "/v1/whoami")).status).toBe(401);
  });

  it("keeps tokens in the database: created once (shown once, stored hashed), usable, revoked at once", async () => {
    const created = await admin("POST", "/v1/api-tokens", { client: "panel", scope: "panel" });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    const [row] = await t.sql`select token_hash from api_tokens where id = ${created.body.id}`;
    expect(row!.token_hash).not.toContain(token);
    const fromDb = apiClient(t.plane.url, token);
    // Same client name as the env's panel tokens: the same idempotency scope.
    const replay = await fromDb("POST", "/v1/servers", serverBody(1), { "idempotency-key": "rotate-1" });
    expect(replay.status).toBe(202);
    expect((await t.sql`select count(*)::int as n from servers where idempotency_key = 'rotate-1'`)[0]!.n).toBe(2);
    expect((await fromDb("POST", "/v1/hosts", { name: "h3", node: "h3", capacity: { memoryMiB: 1, cpuCores: 1, diskGiB: 1 } })).status).toBe(403);
    const list = await admin("GET", "/v1/api-tokens");
    expect(list.body.items).toEqual([expect.objectContaining({ id: created.body.id, client: "panel", scope: "panel", revokedAt: null })]);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await admin("DELETE", `/v1/api-tokens/${created.body.id}`)).status).toBe(200);
    expect((await fromDb("GET", "/v1/servers")).status).toBe(401);
    expect((await admin("DELETE", `/v1/api-tokens/${created.body.id}`)).body.error).toBe("api_token_not_found");
    expect((await admin("POST", "/v1/api-tokens", { client: "bad name", scope: "panel" })).status).toBe(400);
  });

  it("rate-limits per client name over all its tokens, with Retry-After, and leaves other clients alone", async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const token = tokenOf(i % 2 ? PANEL_OLD : PANEL_NEW);
      const res = await fetch(`${t.plane.url}/v1/servers`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 429) limited = res;
    }
    expect(limited?.status, "no request of the 60 was limited").toBe(429);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited!.json()).toEqual({ error: "rate_limited", message: expect.stringContaining('"panel"') });
    expect((await reader("GET", "/v1/servers")).status).toBe(200);
    expect((await fetch(`${t.plane.url}/healthz`)).status).toBe(200);
  });

  it("answers 408 and closes a connection whose body trickles past the request timeout", async () => {
    const url = new URL(t.plane.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      let got = "";
      socket.on("data", (d) => (got += d.toString()));
      socket.on("close", () => resolve(got));
      socket.on("error", reject);
      socket.on("connect", () => {
        socket.write(`POST /v1/servers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokenOf(ADMIN)}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
        const trickle = setInterval(() => (socket.destroyed ? clearInterval(trickle) : socket.write(" ")), 100);
        socket.on("close", () => clearInterval(trickle));
      });
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });

  it("shows the version on /healthz, and documents every route for a generated client: summaries, health, the required Idempotency-Key", async () => {
    expect(await (await fetch(`${t.plane.url}/healthz`)).json()).toEqual({ ok: true, version: ZLH_VERSION });
    type Op = { summary?: string; parameters?: { in: string; name: string; required?: boolean }[] };
    const doc = (await (await fetch(`${t.plane.url}/docs/json`)).json()) as { info: { version: string }; paths: Record<string, Record<string, Op>> };
    expect(doc.info.version).toBe(ZLH_VERSION);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/healthz", "/readyz", "/metrics", "/v1/events", "/v1/events/stream", "/v1/api-tokens"]));
    const unsummarised = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).filter(([, op]) => !op.summary).map(([method]) => `${method} ${path}`));
    expect(unsummarised).toEqual([]);
    const key = doc.paths["/v1/servers"]!.post!.parameters!.find((p) => p.in === "header" && p.name === "idempotency-key");
    expect(key?.required).toBe(true);
    const missing = await admin("POST", "/v1/servers", serverBody(5));
    expect(missing.body.error).toBe("idempotency_key_missing");
  });
  it("scopes: a metrics token reads /metrics and nothing else; admin reads it too; read and panel do not", async () => {
    const scrape = (token: string) => fetch(`${t.plane.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    for (const entry of [SCRAPER, ADMIN]) {
      const res = await scrape(tokenOf(entry));
      expect(res.status, entry).toBe(200);
      expect(await res.text()).toMatch(/^# TYPE zlh_servers gauge$/m);
    }
    // (The panel client's budget is spent by the rate-limit test: a panel token of another name.)
    const otherPanel = (await admin("POST", "/v1/api-tokens", { client: "panel-2", scope: "panel" })).body.token as string;
    for (const token of [tokenOf(READER), otherPanel]) {
      const res = await scrape(token);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { message: string }).message).toContain("needs metrics");
    }
    const scraper = apiClient(t.plane.url, tokenOf(SCRAPER));
    expect((await scraper("GET", "/v1/servers")).body).toEqual({ error: "forbidden", message: expect.stringContaining("has the metrics scope") });
    expect((await scraper("GET", "/v1/hosts")).status).toBe(403);
    expect((await scraper("GET", "/v1/events")).status).toBe(403);
    const denied = await scraper("POST", "/v1/servers", serverBody(4), { "idempotency-key": "scraper-1" });
    expect(denied.status).toBe(403);
    expect((await t.sql`select count(*)::int as n from servers where idempotency_key = 'scraper-1'`)[0]!.n).toBe(0);
    // The same scope for a database token (stored in api_tokens, whose check allows it).
    const created = await admin("POST", "/v1/api-tokens", { client: "prometheus-db", scope: "metrics" });
    expect(created.status).toBe(201);
    expect((await scrape(created.body.token)).status).toBe(200);
    expect((await apiClient(t.plane.url, created.body.token)("GET", "/v1/servers")).status).toBe(403);
    expect((await admin("DELETE", `/v1/api-tokens/${created.body.id}`)).status).toBe(200);
  });
});

describe("metrics without a token", () => {
  it("serves /metrics openly only with ZLH_METRICS_PUBLIC=true", async () => {
    const open = await startTestPlane({ ZLH_METRICS_PUBLIC: "true" }, { runWorker: false });
    const res = await fetch(`${open.plane.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# TYPE zlh_servers gauge$/m);
    expect((await fetch(`${open.plane.url}/v1/servers`)).status).toBe(401);
  });
});
