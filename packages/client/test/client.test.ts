import { readdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { connect, createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { createZlhClient, ZlhApiError, type Event } from "@zlh/client";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "../../../apps/control-plane/test/harness";
import { createAndWatch } from "./examples/createAndWatch";
import { serversOf } from "./examples/serversOf";
import { renderClientSchema } from "./renderSchema";

const here = (path: string) => new URL(path, import.meta.url);

describe("@zlh/client", () => {
  let t: Awaited<ReturnType<typeof startTestPlane>>;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "client-host");
  });

  it("has the types of this version's OpenAPI document (pnpm client:generate)", async () => {
    expect(await readFile(here("../src/schema.d.ts"), "utf8")).toBe(await renderClientSchema());
  });

  it("shows in its README exactly the examples this test compiles and runs", async () => {
    const readme = await readFile(here("../README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const files = await readdir(here("./examples/"));
    const examples = await Promise.all(files.map((f) => readFile(here(`./examples/${f}`), "utf8")));
    expect(blocks.length).toBe(examples.length);
    for (const example of examples) expect(blocks).toContain(example);
  });

  it("runs the README's examples against a real control plane", async () => {
    const first = await createAndWatch(t.plane.url, ADMIN_TOKEN, "readme-create");
    expect(first.server).toMatchObject({ status: "pending", name: "survival" });
    expect(first.seen.at(-1)).toBe("server.requested");
    const again = await createAndWatch(t.plane.url, ADMIN_TOKEN, "readme-create");
    expect(again.server.id).toBe(first.server.id);
    for (let i = 0; i < 5; i++) await t.api("POST", "/v1/servers", serverBody(i, { customerId: "paged", name: `paged-${i}` }), { "idempotency-key": `paged-${i}` });
    expect((await serversOf(t.plane.url, ADMIN_TOKEN, "paged")).sort()).toEqual(["paged-0", "paged-1", "paged-2", "paged-3", "paged-4"]);
  });

  it("sends numbers as numbers and reads the API's errors", async () => {
    const zlh = createZlhClient({ baseUrl: t.plane.url, token: ADMIN_TOKEN });
    const { error, response } = await zlh.api.GET("/v1/servers", { params: { query: { limit: 501 } } });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ error: "invalid_request", problems: [{ field: "query.limit", message: "must be at most 500" }] });
    const pages = zlh.paginate((cursor) => zlh.api.GET("/v1/servers", { params: { query: { cursor: cursor ?? "not-a-cursor" } } }));
    await expect(pages.next()).rejects.toEqual(expect.objectContaining({ name: "ZlhApiError", status: 400, code: "invalid_cursor" }));
  });

  it("gives every write an Idempotency-Key, the same one on each retry of a 503 or 429, and waits no longer than it may", async () => {
    const seen: { method: string; key: string | undefined }[] = [];
    let answers = [503, 429, 202];
    const server = await listen(
      createServer((req, res) => {
        seen.push({ method: req.method!, key: req.headers["idempotency-key"] as string | undefined });
        const status = answers.shift() ?? 202;
        res.writeHead(status, { "content-type": "application/json", ...(status === 202 ? {} : { "retry-after": "0" }) });
        res.end(JSON.stringify(status === 202 ? { id: "x" } : { error: status === 429 ? "rate_limited" : "unavailable", message: "Later." }));
      }),
    );
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const zlh = createZlhClient({ baseUrl: url, token: ADMIN_TOKEN });
      const id = "00000000-0000-4000-8000-000000000001";
      const started = await zlh.api.POST("/v1/servers/{id}/start", { params: { path: { id } } });
      expect(started.response.status).toBe(202);
      expect(seen.map((s) => s.method)).toEqual(["POST", "POST", "POST"]);
      expect(new Set(seen.map((s) => s.key)).size).toBe(1);
      expect(seen[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
      // A new write, a new key.
      await zlh.api.POST("/v1/servers/{id}/stop", { params: { path: { id } } });
      expect(seen.at(-1)!.key).not.toBe(seen[0]!.key);
      const reads = seen.length;
      await zlh.api.GET("/v1/servers/{id}", { params: { path: { id } } });
      expect(seen.slice(reads)).toEqual([{ method: "GET", key: undefined }]);
      // Bounded: a Retry-After past maxDelayMs is the caller's to decide, answered at once; retries stop at maxRetries.
      server.removeAllListeners("request");
      let calls = 0;
      server.on("request", (_req, res) => {
        calls++;
        res.writeHead(503, { "retry-after": calls === 1 ? "3600" : "0", "content-type": "application/json" }).end('{"error":"unavailable","message":"Later."}');
      });
      expect((await zlh.api.GET("/v1/servers/{id}", { params: { path: { id } } })).response.status).toBe(503);
      expect(calls).toBe(1);
      const bounded = createZlhClient({ baseUrl: url, token: ADMIN_TOKEN, maxRetries: 2 });
      expect((await bounded.api.GET("/v1/servers/{id}", { params: { path: { id } } })).response.status).toBe(503);
      expect(calls).toBe(4);
      answers = [];
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("hands back a real control plane's 429 at once when its Retry-After is longer than the client may wait", async () => {
    const limited = await startTestPlane({ ZLH_RATE_LIMIT_PER_CLIENT: "1" }, { runWorker: false });
    const zlh = createZlhClient({ baseUrl: limited.plane.url, token: ADMIN_TOKEN, maxDelayMs: 5_000 });
    const first = await zlh.api.GET("/v1/hosts");
    expect([first.response.status, first.response.headers.get("x-ratelimit-remaining")]).toEqual([200, "0"]);
    const second = await zlh.api.GET("/v1/hosts");
    expect(second.response.status).toBe(429);
    expect(Number(second.response.headers.get("retry-after"))).toBeGreaterThan(5);
    expect(second.error).toMatchObject({ error: "rate_limited" });
  });

  it("follows the event feed across a dropped connection: resumes after the last event, nothing missed, nothing twice", async () => {
    const target = new URL(t.plane.url);
    const sockets = new Set<Socket>();
    const proxy = await listen(
      createTcpServer((client) => {
        const upstream = connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      }),
    );
    const controller = new AbortController();
    try {
      const zlh = createZlhClient({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, token: ADMIN_TOKEN });
      const before = await t.api("GET", "/v1/events?limit=1000");
      const a = await t.api("POST", "/v1/servers", serverBody(50, { name: "before-drop" }), { "idempotency-key": "drop-a" });
      const events: Event[] = [];
      let b: { body: { id: string } } | undefined;
      for await (const event of zlh.events({ after: before.body.nextCursor, signal: controller.signal })) {
        events.push(event);
        if (event.serverId === a.body.id && event.type === "server.requested" && !b) {
          // The connection drops; meanwhile another server is created.
          for (const s of sockets) s.destroy();
          b = await t.api("POST", "/v1/servers", serverBody(51, { name: "after-drop" }), { "idempotency-key": "drop-b" });
        }
        if (b && event.serverId === b.body.id && event.type === "server.requested") break;
      }
      const ids = events.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const page = await t.api("GET", `/v1/events?after=${before.body.nextCursor}&limit=1000`);
      const upTo = page.body.items.findIndex((e: Event) => e.serverId === b!.body.id && e.type === "server.requested");
      expect(ids).toEqual(page.body.items.slice(0, upTo + 1).map((e: Event) => e.id));
    } finally {
      controller.abort();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("throws the API's error for a stream it may not open", async () => {
    const zlh = createZlhClient({ baseUrl: t.plane.url, token: "not-a-token-of-this-plane" });
    const err = await zlh.events().next().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZlhApiError);
    expect((err as ZlhApiError).code).toBe("unauthorized");
  });

});

async function listen<T extends Server | ReturnType<typeof createTcpServer>>(server: T): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
