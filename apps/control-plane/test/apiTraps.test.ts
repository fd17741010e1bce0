import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { startControlPlane, type ControlPlane } from "../src/index";
import { ADMIN_TOKEN, apiClient, enrollHost, serverBody, testPlaneConfig } from "./harness";

/**
 * The traps a panel developer found: validator paths and only the first
 * problem, 400 for a text body, 404 for a wrong method, the per-address
 * rate-limit budget in the headers, no request id. One control plane whose
 * logs the test reads.
 */
describe("an API without traps", () => {
  let plane: ControlPlane;
  const logs: Record<string, unknown>[] = [];
  const api = () => apiClient(plane.url, ADMIN_TOKEN);
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  beforeAll(async () => {
    const config = await testPlaneConfig({ ZLH_RATE_LIMIT_PER_CLIENT: "100000", LOG_LEVEL: "info" });
    const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(...String(chunk).trim().split("\n").map((l) => JSON.parse(l))), done()) });
    plane = await startControlPlane(config, pino({ level: "info" }, sink), { runWorker: false });
    await enrollHost(api(), "traps-host");
  });
  afterAll(() => plane.close());

  it("says every validation problem in plain words, naming the field, and takes numbers in a query", async () => {
    const bad = await api()("GET", "/v1/servers?limit=abc&status=bogus");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe("invalid_request");
    expect(bad.body.problems).toEqual([
      { field: "query.status", message: expect.stringMatching(/^must be one of: pending, provisioning, running/) },
      { field: "query.limit", message: "must be a whole number" },
    ]);
    expect(bad.body.message).toBe(`${bad.body.problems.map((p: { field: string; message: string }) => `${p.field} ${p.message}`).join("; ")}.`);
    expect((await api()("GET", "/v1/servers?limit=501")).body.message).toBe("query.limit must be at most 500.");
    expect((await api()("GET", "/v1/servers?limit=5")).status).toBe(200);

    const body = serverBody(1, { memoryMiB: "1024", name: "", mods: [{ project: "a/b" }], extra: 1 });
    delete (body as Record<string, unknown>).customerId;
    const create = await api()("POST", "/v1/servers", body, { "idempotency-key": "traps-1" });
    expect(create.status).toBe(400);
    expect(create.body.problems).toEqual(
      expect.arrayContaining([
        { field: "body.customerId", message: "is required" },
        { field: "body.extra", message: "is not a field this accepts" },
        { field: "body.name", message: "must not be empty" },
        { field: "body.mods[0].project", message: "is not in a form this accepts" },
        { field: "body.memoryMiB", message: "must be a whole number" },
      ]),
    );
    expect(create.body.problems).toHaveLength(5);
  });

  it("lists at most ten problems and counts the rest", async () => {
    const extra = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`extra${i}`, i]));
    const res = await api()("POST", "/v1/servers", { ...serverBody(2), ...extra }, { "idempotency-key": "traps-2" });
    expect(res.status).toBe(400);
    expect(res.body.problems).toHaveLength(10);
    expect(res.body.message).toMatch(/; and 4 more problems\.$/);
  });

  it("answers a text body to a JSON route with 415, and writes nothing", async () => {
    const res = await fetch(`${plane.url}/v1/servers`, { method: "POST", headers: { ...auth, "content-type": "text/plain", "idempotency-key": "traps-3" }, body: "hello" });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: "unsupported_media_type", message: expect.stringMatching(/JSON.*text\/plain/) });
    expect((await api()("GET", "/v1/servers")).body.items).toEqual([]);
  });

  it("answers a wrong method with 405 and Allow, an unknown path with 404", async () => {
    const wrong = await fetch(`${plane.url}/v1/servers/${crypto.randomUUID()}`, { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("DELETE, GET, HEAD, PATCH");
    expect(((await wrong.json()) as { error: string }).error).toBe("method_not_allowed");
    const list = await fetch(`${plane.url}/v1/hosts`, { method: "DELETE", headers: auth });
    expect([list.status, list.headers.get("allow")]).toEqual([405, "GET, HEAD, POST"]);
    const none = await fetch(`${plane.url}/v1/nothing-here`, { headers: auth });
    expect([none.status, none.headers.get("allow"), ((await none.json()) as { error: string }).error]).toEqual([404, null, "not_found"]);
  });

  it("shows the client's own budget in the rate-limit headers", async () => {
    const first = await fetch(`${plane.url}/v1/hosts`, { headers: auth });
    const second = await fetch(`${plane.url}/v1/hosts`, { headers: auth });
    expect(first.headers.get("x-ratelimit-limit")).toBe("100000");
    // The per-address budget (ZLH_RATE_LIMIT_PER_ADDRESS, 10000000 here) is never shown.
    expect(Number(second.headers.get("x-ratelimit-remaining"))).toBe(Number(first.headers.get("x-ratelimit-remaining")) - 1);
    expect((await fetch(`${plane.url}/healthz`)).headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("carries a request id on every response and its log line, keeping a sane incoming one", async () => {
    const own = await fetch(`${plane.url}/v1/hosts`, { headers: { ...auth, "x-request-id": "panel-req.42" } });
    expect(own.headers.get("x-request-id")).toBe("panel-req.42");
    const insane = await fetch(`${plane.url}/v1/hosts`, { headers: { ...auth, "x-request-id": `two words ${"x".repeat(200)}` } });
    expect(insane.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    const anonymous = await fetch(`${plane.url}/v1/hosts`);
    expect([anonymous.status, anonymous.headers.get("x-request-id")?.length]).toEqual([401, 36]);
    const controller = new AbortController();
    const stream = await fetch(`${plane.url}/v1/events/stream`, { headers: { ...auth, "x-request-id": "stream-7" }, signal: controller.signal });
    expect([stream.headers.get("content-type"), stream.headers.get("x-request-id")]).toEqual(["text/event-stream; charset=utf-8", "stream-7"]);
    controller.abort();
    await stream.body?.cancel().catch(() => {});
    await expect.poll(() => logs.find((l) => l.requestId === "panel-req.42" && l.msg === "request")).toMatchObject({ route: "/v1/hosts", statusCode: 200 });
  });
});
