import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeLogAgent } from "./fakeLogAgent";
import { apiClient, type Api } from "./harness";
import { startLogFixture } from "./logFixture";
import { endReason, openStream, type OpenStream } from "./sseClient";

type Plane = Awaited<ReturnType<typeof startLogFixture>>["t"];

const ADMIN = "admin-token-0123456789";
const PANEL_ORIGIN = "https://panel.example.test";

/**
 * Console tokens: one server's log and commands for a browser, nothing else,
 * until they expire or are revoked (themselves, their parent API token, their server).
 */
describe("console tokens", { timeout: 120_000 }, () => {
  let t: Plane;
  let agent: FakeLogAgent;
  let admin: Api;
  let serverA: string;
  let serverB: string;
  const streams: OpenStream[] = [];
  const consoleToken = async (serverId: string, as: Api = admin) => {
    const res = await as("POST", `/v1/servers/${serverId}/console-tokens`);
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string; expiresAt: string };
  };
  const follow = async (serverId: string, token: string, headers: Record<string, string> = {}) => {
    const s = await openStream(`${t.plane.url}/v1/servers/${serverId}/logs/stream?tail=5`, token, headers);
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    ({ t, admin, agent, serverA, serverB } = await startLogFixture(
      ADMIN,
      { ZLH_API_TOKENS: `ops:admin=${ADMIN}`, ZLH_STREAM_TOKEN_RECHECK_MS: "200", ZLH_CONSOLE_ORIGINS: PANEL_ORIGIN },
      "console",
    ));
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await agent?.stop();
  });

  it("stores only the token's hash and opens its server's log, nothing else", async () => {
    const c = await consoleToken(serverA);
    expect(Date.parse(c.expiresAt)).toBeGreaterThan(Date.now());
    const rows = await t.sql`select token_hash from console_tokens where id = ${c.id}`;
    expect(rows[0]!.token_hash).not.toContain(c.token);
    const asConsole = apiClient(t.plane.url, c.token);
    expect((await asConsole("GET", `/v1/servers/${serverA}/logs?tail=5`)).status).toBe(200);
    const elsewhere = await asConsole("GET", `/v1/servers/${serverA}`);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toEqual({ error: "forbidden", message: expect.stringContaining("only its server's log and commands") });
    expect((await asConsole("POST", `/v1/servers/${serverA}/console-tokens`)).status).toBe(403);
    expect((await asConsole("DELETE", `/v1/servers/${serverA}`)).status).toBe(403);
    const other = await asConsole("GET", `/v1/servers/${serverB}/logs`);
    expect(other.status).toBe(403);
    expect(other.body.message).toContain(serverA);
    const command = await asConsole("POST", `/v1/servers/${serverB}/commands`, { command: "list" });
    expect(command.status).toBe(403);
    expect(await t.sql`select id from operations where kind = 'command'`).toHaveLength(0);
  });

  it("is refused with 401 once expired, and a stream opened with it ends", async () => {
    const c = await consoleToken(serverA);
    const s = await follow(serverA, c.token);
    expect(s.status).toBe(200);
    await s.until((text) => text.includes("data: line"));
    await t.sql`update console_tokens set expires_at = now() - interval '1 second' where id = ${c.id}`;
    expect(endReason(await s.ended)).toBe("token_revoked");
    const res = await apiClient(t.plane.url, c.token)("GET", `/v1/servers/${serverA}/logs`);
    expect(res.status).toBe(401);
    expect(res.body.message).toContain("expired or was revoked");
  });

  it("ends an open log stream when revoked, and keeps another console token's stream going", async () => {
    const [c, kept] = [await consoleToken(serverA), await consoleToken(serverA)];
    const [s, k] = [await follow(serverA, c.token), await follow(serverA, kept.token)];
    expect([s.status, k.status]).toEqual([200, 200]);
    await s.until((text) => text.includes("data: line"));
    expect((await admin("DELETE", `/v1/servers/${serverB}/console-tokens/${c.id}`)).status).toBe(404);
    const revoked = await admin("DELETE", `/v1/servers/${serverA}/console-tokens/${c.id}`);
    expect(revoked.status).toBe(200);
    expect(endReason(await s.ended)).toBe("token_revoked");
    const before = agent.reads;
    await k.until(() => agent.reads >= before + 3);
    expect(endReason(k.text())).toBeNull();
    expect((await admin("DELETE", `/v1/servers/${serverA}/console-tokens/${c.id}`)).status).toBe(404);
    expect((await apiClient(t.plane.url, c.token)("GET", `/v1/servers/${serverA}/logs`)).status).toBe(401);
    k.close();
  });

  it("dies with the API token that asked for it, and with its server", async () => {
    const parent = await admin("POST", "/v1/api-tokens", { client: "panel", scope: "panel" });
    const c = await consoleToken(serverA, apiClient(t.plane.url, parent.body.token));
    const asConsole = apiClient(t.plane.url, c.token);
    expect((await asConsole("GET", `/v1/servers/${serverA}/logs`)).status).toBe(200);
    expect((await admin("DELETE", `/v1/api-tokens/${parent.body.id}`)).status).toBe(200);
    expect((await asConsole("GET", `/v1/servers/${serverA}/logs`)).status).toBe(401);

    const d = await consoleToken(serverB);
    await t.sql`update servers set status = 'deleted' where id = ${serverB}`;
    expect((await apiClient(t.plane.url, d.token)("GET", `/v1/servers/${serverB}/logs`)).status).toBe(401);
    await t.sql`update servers set status = 'running' where id = ${serverB}`;
  });

  it("trades the token for an HttpOnly cookie on its server's paths, which an EventSource-like request follows with", async () => {
    const c = await consoleToken(serverA);
    const res = await fetch(`${t.plane.url}/v1/console/session`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: PANEL_ORIGIN },
      body: JSON.stringify({ token: c.token }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(PANEL_ORIGIN);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(new RegExp(`^zlh_console=${c.token}; Path=/v1/servers/${serverA}; Max-Age=\\d+; HttpOnly; SameSite=Strict$`));
    const s = await follow(serverA, "", { cookie: cookie.split(";")[0]!, origin: PANEL_ORIGIN });
    expect(s.status).toBe(200);
    await s.until((text) => text.includes("data: line"));
    s.close();
    // The cookie opens the console routes only; elsewhere it is no credential at all.
    const read = await fetch(`${t.plane.url}/v1/servers/${serverA}`, { headers: { cookie: cookie.split(";")[0]! } });
    expect(read.status).toBe(401);
    const bad = await fetch(`${t.plane.url}/v1/console/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "zlhc_nope" }) });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
  });

  it("answers CORS preflights on the console routes for allowed origins only", async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${t.plane.url}${path}`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" } });
    const ok = await preflight(`/v1/servers/${serverA}/commands`, PANEL_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(PANEL_ORIGIN);
    expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
    const stranger = await preflight(`/v1/servers/${serverA}/commands`, "https://evil.example.test");
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    const notConsole = await preflight(`/v1/servers/${serverA}`, PANEL_ORIGIN);
    expect(notConsole.headers.get("access-control-allow-origin")).toBeNull();
  });
});
