import { beforeAll, describe, expect, it } from "vitest";
import { apiClient, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

describe("panel API", () => {
  let t: Plane;
  let hostId: string;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    hostId = (await enrollHost(t.api, "host-1", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 })).id;
  });

  const create = (key: string, body: unknown = serverBody(1)) =>
    t.api("POST", "/v1/servers", body, { "idempotency-key": key });

  it("serves health, readiness and the OpenAPI document without a token", async () => {
    expect((await fetch(`${t.plane.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.plane.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { migrations: number }).migrations).toBeGreaterThan(0);
    const doc = (await (await fetch(`${t.plane.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/v1/servers", "/v1/servers/{id}", "/v1/hosts"]));
  });

  it("refuses a missing or wrong token with 401", async () => {
    const anon = await fetch(`${t.plane.url}/v1/servers`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({ error: "unauthorized", message: expect.any(String) });
    const wrong = await apiClient(t.plane.url, "not-a-valid-token-at-all")("GET", "/v1/hosts");
    expect(wrong.status).toBe(401);
  });

  it("enrols a host once per name and shows its capacity and allocation", async () => {
    const again = await t.api("POST", "/v1/hosts", { name: "host-1", node: "pve1", capacity: { memoryMiB: 1, cpuCores: 1, diskGiB: 1 } });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("host_name_taken");
    const [row] = await t.sql`select agent_token_hash from hosts where id = ${hostId}`;
    expect(row.agent_token_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await t.api("GET", "/v1/hosts");
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: hostId, name: "host-1", connected: false, lastHeartbeatAt: null,
        capacity: { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 } }),
    ]);
  });

  it("creates a pending server with its resources and returns it by id", async () => {
    const res = await create("api-1", serverBody(1, { mods: [{ project: "fabric-api" }], serverProperties: { motd: "hi", "max-players": 5 } }));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending", desiredState: "running", hostId, vmid: 5000, generation: 1 });
    expect(res.body.ports.game).not.toBe(res.body.ports.rcon);
    const got = await t.api("GET", `/v1/servers/${res.body.id}`);
    expect(got.body).toEqual(res.body);
    const hosts = await t.api("GET", "/v1/hosts");
    expect(hosts.body.items.find((h: { id: string }) => h.id === hostId).allocated).toEqual({ memoryMiB: 1024, cpuCores: 1, diskGiB: 2 });
  });

  it("answers idempotency errors as the IETF draft says", async () => {
    const missing = await t.api("POST", "/v1/servers", serverBody(2));
    expect(missing).toMatchObject({ status: 400, body: { error: "idempotency_key_missing", message: expect.any(String) } });
    const first = await create("api-reuse", serverBody(2));
    const reused = await create("api-reuse", serverBody(2, { name: "other" }));
    expect(reused.status).toBe(422);
    expect(reused.body.error).toBe("idempotency_key_reused");
    const sameBodyOtherOrder = await create("api-reuse", Object.fromEntries(Object.entries(serverBody(2)).reverse()));
    expect(sameBodyOtherOrder.body.id).toBe(first.body.id);
    // Another caller may use the same key.
    const [{ count }] = await t.sql`select count(*)::int from servers where idempotency_key = 'api-reuse'`;
    expect(count).toBe(1);
    const bad = await create("k".repeat(256));
    expect(bad.status).toBe(400);
  });

  it("scopes idempotency keys to the caller's token", async () => {
    const other = "second-admin-token-abcdefghij";
    const t2 = await startTestPlane({ ZLH_API_TOKENS: `test-admin-token-0123456789,${other}` }, { runWorker: false });
    await enrollHost(t2.api, "h");
    const a = await t2.api("POST", "/v1/servers", serverBody(3), { "idempotency-key": "shared" });
    const b = await apiClient(t2.plane.url, other)("POST", "/v1/servers", serverBody(3), { "idempotency-key": "shared" });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it("refuses bad input with a 4xx and writes nothing", async () => {
    const before = await t.sql`select (select count(*) from servers) as s, (select count(*) from events) as e`;
    const cases: [unknown, string][] = [
      [serverBody(4, { name: "nul\u0000byte" }), "invalid_request"],
      [serverBody(4, { minecraftVersion: "../../etc" }), "invalid_request"],
      [serverBody(4, { memoryMiB: "1024" }), "invalid_request"],
      [serverBody(4, { memoryMiB: 0 }), "invalid_request"],
      [serverBody(4, { mods: [{ project: "a/b" }] }), "invalid_request"],
      [serverBody(4, { mods: [{ project: "c2me-fabric", allowPrerelease: "yes" }] }), "invalid_request"],
      [serverBody(4, { minecraftVersion: "26.2-snapshot" }), "invalid_request"],
      [serverBody(4, { minecraftVersion: "26.2-pre-1/../x" }), "invalid_request"],
      [serverBody(4, { serverProperties: { "server-port": 25565 } }), "managed_property"],
      [serverBody(4, { serverProperties: { "rcon.password": "x" } }), "managed_property"],
      [serverBody(4, { serverProperties: { motd: "two\nlines" } }), "invalid_request"],
      [serverBody(4, { serverProperties: { "not-a-key": 1 } }), "invalid_request"],
      [serverBody(4, { extra: true }), "invalid_request"],
      ["{not json", "invalid_json"],
    ];
    for (const [body, code] of cases) {
      const res = await create(`bad-${code}`, body);
      expect({ status: res.status, error: res.body.error }, JSON.stringify(body)).toEqual({ status: 400, error: code });
      expect(res.body.message).toMatch(/\.$/);
    }
    const after = await t.sql`select (select count(*) from servers) as s, (select count(*) from events) as e`;
    expect(after).toEqual(before);
  });

  it("reports capacity exhaustion as 409 and writes nothing", async () => {
    const res = await create("too-big", serverBody(5, { memoryMiB: 262_144 }));
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("capacity_exhausted");
    const [{ count }] = await t.sql`select count(*)::int from vmid_pool where state = 'taken' and server_id not in (select id from servers)`;
    expect(count).toBe(0);
  });

  it("404s unknown and malformed ids", async () => {
    for (const id of ["00000000-0000-0000-0000-000000000000", "not-a-uuid", "%00"]) {
      const res = await t.api("GET", `/v1/servers/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("server_not_found");
    }
  });

  it("pages through servers with keyset cursors and filters", async () => {
    for (let i = 0; i < 5; i++) await create(`page-${i}`, serverBody(100 + i, { customerId: "pager" }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string; customerId: string }[]; nextCursor: string | null } } = await t.api(
        "GET",
        `/v1/servers?customerId=pager&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBe(5);
    expect(new Set(seen).size).toBe(5);
    const pending = await t.api("GET", "/v1/servers?status=pending&limit=500");
    expect(pending.body.items.every((s: { status: string }) => s.status === "pending")).toBe(true);
    for (const q of ["limit=0", "limit=501", "limit=abc", "cursor=zzz", "status=bogus"]) {
      const res = await t.api("GET", `/v1/servers?${q}`);
      expect(res.status, q).toBe(400);
    }
  });

  it("records intents, repeats deletes, and keeps the audit trail in order", async () => {
    const { body: server } = await create("life-1", serverBody(200));
    const stop = await t.api("POST", `/v1/servers/${server.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body).toMatchObject({ desiredState: "stopped", generation: 2 });
    const del1 = await t.api("DELETE", `/v1/servers/${server.id}`);
    const del2 = await t.api("DELETE", `/v1/servers/${server.id}`);
    expect(del1.body).toMatchObject({ status: "deleting", desiredState: "deleted", generation: 3 });
    expect(del2.status).toBe(202);
    expect(del2.body.generation).toBe(3);
    const start = await t.api("POST", `/v1/servers/${server.id}/start`);
    expect(start.status).toBe(409);
    expect(start.body.error).toBe("invalid_transition");
    const events = await t.api("GET", `/v1/servers/${server.id}/events`);
    // Each intent converges at once. With no worker here the manifest is never
    // resolved, so nothing is provisioned; the delete plans the destroy.
    const items = events.body.items as { type: string; data: Record<string, unknown> }[];
    expect(items.map((e) => e.type)).toEqual(["server.requested", "server.intent", "server.intent", "server.status_changed", "op.queued"]);
    expect(items[3]!.data).toMatchObject({ from: "pending", to: "deleting" });
    expect(items[4]!.data).toMatchObject({ kind: "destroy", generation: 3 });
  });

  it("shows a deleted server without its VMID, ports and address, and lists it only when asked", async () => {
    await enrollHost(t.api, "host-gone", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 });
    const { body: server } = await create("gone-1", serverBody(210, { customerId: "gone" }));
    const { body: kept } = await create("gone-2", serverBody(211, { customerId: "gone" }));
    expect(server.vmid).toEqual(expect.any(Number));
    // What the destroy's confirmation does in the end (the e2e termination test runs the real path).
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${server.id}`;
    const got = await t.api("GET", `/v1/servers/${server.id}`);
    expect(got.body).toMatchObject({ id: server.id, status: "deleted", vmid: null, ports: null, address: null });
    const ids = async (q: string) => (await t.api("GET", `/v1/servers?customerId=gone${q}`)).body.items.map((s: { id: string }) => s.id);
    expect(await ids("")).toEqual([kept.id]);
    expect(await ids("&include=deleted")).toEqual([server.id, kept.id]);
    expect(await ids("&status=deleted")).toEqual([server.id]);
    expect((await t.api("GET", "/v1/servers?include=all")).status).toBe(400);
  });

  it("pages hosts with keyset cursors", async () => {
    for (let i = 0; i < 3; i++) await enrollHost(t.api, `page-host-${i}`);
    const all = (await t.api("GET", "/v1/hosts")).body;
    expect(all.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } = await t.api("GET", `/v1/hosts?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((h) => h.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((h: { name: string }) => h.name));
    expect(seen).toEqual(["host-1", "host-gone", "page-host-0", "page-host-1", "page-host-2"]);
    for (const q of ["limit=0", "limit=501", "cursor=zzz"]) expect((await t.api("GET", `/v1/hosts?${q}`)).status, q).toBe(400);
  });
});

describe("panel API: version ids", () => {
  it("accepts every version id shape Mojang uses for Fabric-era games, 2026 ids included, and the pre-release opt-in", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "ids-host", { memoryMiB: 262_144, cpuCores: 64, diskGiB: 4096 });
    const ids = ["1.21.1", "1.21", "1.21-pre1", "1.20.5-rc1", "24w14a", "26.1", "26.1.2", "26.2-pre-1", "26.2-rc-1", "26.3-snapshot-9"];
    for (const [i, minecraftVersion] of ids.entries()) {
      const res = await t.api("POST", "/v1/servers", serverBody(100 + i, { minecraftVersion, mods: [{ project: "c2me-fabric", allowPrerelease: true }] }), { "idempotency-key": `ids-${i}` });
      expect(res.status, minecraftVersion).toBe(202);
      expect(res.body.mods).toEqual([{ project: "c2me-fabric", allowPrerelease: true }]);
    }
  });
});
