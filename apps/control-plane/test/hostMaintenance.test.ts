import { beforeAll, describe, expect, it } from "vitest";
import { RawAgent } from "../../../test/support/rawAgent";
import { apiClient, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const TTL = 400;

describe("host maintenance and placement", () => {
  let t: Plane;
  let n = 0;
  const create = (body: Record<string, unknown> = {}) => t.api("POST", "/v1/servers", serverBody(n, body), { "idempotency-key": `hm-${n++}` });
  const hostsById = async () => new Map((await t.api("GET", "/v1/hosts")).body.items.map((h: { id: string }) => [h.id, h]));

  beforeAll(async () => {
    t = await startTestPlane({ ZLH_LEASE_TTL_MS: String(TTL) }, { runWorker: false });
  });

  it("places nothing on a cordoned host, shows the cordon, and places there again once lifted", async () => {
    const a = await enrollHost(t.api, "cordon-a", { memoryMiB: 100_000, cpuCores: 100, diskGiB: 1000 });
    const b = await enrollHost(t.api, "cordon-b", { memoryMiB: 50_000, cpuCores: 100, diskGiB: 1000 });
    const cordoned = await t.api("POST", `/v1/hosts/${a.id}/cordon`);
    expect(cordoned.status).toBe(200);
    expect(cordoned.body).toMatchObject({ id: a.id, cordoned: true, cordonedAt: expect.any(String) });
    for (let i = 0; i < 3; i++) expect((await create()).body.hostId).toBe(b.id);
    await t.api("POST", `/v1/hosts/${b.id}/cordon`);
    const none = await create();
    expect(none.status).toBe(409);
    expect(none.body.error).toBe("capacity_exhausted");
    expect((await t.sql`select count(*)::int as n from servers where idempotency_key = ${`hm-${n - 1}`}`)[0]!.n).toBe(0);
    const lifted = await t.api("POST", `/v1/hosts/${a.id}/uncordon`);
    expect(lifted.body).toMatchObject({ cordoned: false, cordonedAt: null });
    expect((await create()).body.hostId).toBe(a.id);
    const hosts = await hostsById();
    expect(hosts.get(b.id)).toMatchObject({ cordoned: true, servers: { total: 3, running: 0 } });
    expect(hosts.get(a.id)).toMatchObject({ cordoned: false, servers: { total: 1, running: 0 } });
    const events = await t.sql`select type, actor from events where host_id = ${a.id} and type like 'host.%cordoned' order by id`;
    expect(events.map((e) => e.type)).toEqual(["host.cordoned", "host.uncordoned"]);
    await t.api("POST", `/v1/hosts/${b.id}/uncordon`);
    for (const id of [a.id, b.id]) await t.api("POST", `/v1/hosts/${id}/cordon`); // out of the way of the next tests
  });

  it("places nothing on a host whose agent has not been heard from for a lease TTL", async () => {
    const up = await enrollHost(t.api, "agent-up", { memoryMiB: 10_000, cpuCores: 100, diskGiB: 1000 });
    const gone = await enrollHost(t.api, "agent-gone", { memoryMiB: 100_000, cpuCores: 100, diskGiB: 1000 });
    const goneAgent = await RawAgent.connect(t.plane.url, gone.agentToken);
    await goneAgent.greet();
    goneAgent.close();
    await new Promise((r) => setTimeout(r, TTL * 2));
    // The agent that went away has the most room, yet the server goes to the host still expected up.
    expect((await create({ memoryMiB: 1024 })).body.hostId).toBe(up.id);
    // Heard from again: placed there again.
    const back = await RawAgent.connect(t.plane.url, gone.agentToken);
    await back.greet();
    expect((await create({ memoryMiB: 1024 })).body.hostId).toBe(gone.id);
    back.close();
    for (const id of [up.id, gone.id]) await t.api("POST", `/v1/hosts/${id}/cordon`);
  });

  it("drains: cordons and lists what is still there; removes a host only once it is empty", async () => {
    const full = await enrollHost(t.api, "drain-full", { memoryMiB: 10_000, cpuCores: 100, diskGiB: 1000 });
    const server = (await create()).body;
    expect(server.hostId).toBe(full.id);
    const drain = await t.api("POST", `/v1/hosts/${full.id}/drain`);
    expect(drain.body).toMatchObject({ host: { id: full.id, cordoned: true }, remaining: [{ id: server.id, status: "pending", vmid: server.vmid }] });
    const refused = await t.api("DELETE", `/v1/hosts/${full.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: "host_not_empty", message: expect.stringContaining("1 server") });

    const empty = await enrollHost(t.api, "drain-empty");
    const agent = await RawAgent.connect(t.plane.url, empty.agentToken);
    await agent.greet();
    const removed = await t.api("DELETE", `/v1/hosts/${empty.id}`);
    expect(removed.status).toBe(200);
    expect((await agent.closed).code).toBe(4001);
    await expect(RawAgent.connect(t.plane.url, empty.agentToken)).rejects.toThrow("HTTP 401");
    expect((await hostsById()).has(empty.id)).toBe(false);
    expect((await t.api("DELETE", `/v1/hosts/${empty.id}`)).status).toBe(404);
  });

  it("is for admins only", async () => {
    const t2 = await startTestPlane({ ZLH_API_TOKENS: "ops=admin-token-0123456789,panel:panel=panel-token-0123456789" }, { runWorker: false });
    const host = await enrollHost(apiClient(t2.plane.url, "admin-token-0123456789"), "scoped");
    const panel = apiClient(t2.plane.url, "panel-token-0123456789");
    for (const [method, path] of [["POST", `/v1/hosts/${host.id}/cordon`], ["POST", `/v1/hosts/${host.id}/drain`], ["DELETE", `/v1/hosts/${host.id}`]] as const) {
      expect((await panel(method, path)).status, path).toBe(403);
    }
  });
});

describe("placement policy", () => {
  for (const [policy, expected] of [["spread", "roomy"], ["pack", "snug"]] as const) {
    it(`${policy}: a server goes to the ${expected} host`, async () => {
      const t = await startTestPlane({ ZLH_PLACEMENT_POLICY: policy }, { runWorker: false });
      const roomy = await enrollHost(t.api, "roomy", { memoryMiB: 64_000, cpuCores: 64, diskGiB: 1000 });
      const snug = await enrollHost(t.api, "snug", { memoryMiB: 8_000, cpuCores: 64, diskGiB: 1000 });
      const placed = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "policy" });
      expect(placed.body.hostId).toBe(expected === "roomy" ? roomy.id : snug.id);
    });
  }
});
