import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, getOperation, type Database } from "@zlh/db";
import { grantLeases } from "../src/broker/grantLeases";
import { onOperationFinished } from "../src/broker/effects";
import { applyAgentResult } from "../src/broker/applyResult";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

const capacity = { memoryMiB: 1_000_000, cpuCores: 4000, diskGiB: 1_000_000 };
const staticNet = { bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: { first: "10.60.0.10", last: "10.60.0.12" } };

describe("host network settings", () => {
  let t: Plane;
  let database: Database;
  let n = 0;
  const create = (headers: Record<string, string> = {}) => t.api("POST", "/v1/servers", serverBody(n), { "idempotency-key": `net-${n++}`, ...headers });
  const counts = async () => (await t.sql`select (select count(*)::int from hosts) as hosts, (select count(*)::int from events) as events`)[0];

  beforeAll(async () => {
    t = await startTestPlane({ ZLH_EDGE_ZONE: "play.example.com" }, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 2 });
  });
  afterAll(() => database.close());

  it("refuses a bad network at enrolment (422 with the reason, 400 for a wrong shape) and writes nothing", async () => {
    const before = await counts();
    for (const [network, status, error] of [
      [{ ...staticNet, subnet: "10.60.0.7/24" }, 422, "invalid_network"],
      [{ ...staticNet, gateway: "10.70.0.1" }, 422, "invalid_network"],
      [{ ...staticNet, range: { first: "10.60.0.1", last: "10.60.0.20" } }, 422, "invalid_network"],
      [{ ...staticNet, range: { first: "10.60.0.10", last: "10.60.0.255" } }, 422, "invalid_network"],
      [{ ...staticNet, bridge: "v1,gw=2" }, 422, "invalid_network"],
      [{ ...staticNet, bridge: "vmbr1,firewall=1" }, 400, "invalid_request"],
      [{ bridge: "vmbr1", mode: "static" }, 422, "invalid_network"],
      [{ ...staticNet, mode: "dhcp" }, 422, "invalid_network"],
      [{ ...staticNet, subnet: "fd00::/64" }, 400, "invalid_request"],
      [{ ...staticNet, extra: 1 }, 400, "invalid_request"],
    ] as const) {
      const res = await t.api("POST", "/v1/hosts", { name: `bad-${n++}`, node: "pve", capacity, network });
      expect({ network, status: res.status, error: res.body.error }).toEqual({ network, status, error });
      expect(typeof res.body.message).toBe("string");
    }
    expect(await counts()).toEqual(before);
  });

  it("a static host gives each server the lowest free address of its range, shown by the API and the placement event", async () => {
    const enrolled = await t.api("POST", "/v1/hosts", { name: "static-a", node: "pve", capacity, network: staticNet });
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.network).toEqual({ mode: "static", bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: staticNet.range, addressesInUse: 0 });
    const a = await create();
    const b = await create();
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.body.address, b.body.address]).toEqual(["10.60.0.10", "10.60.0.11"]);
    expect((await t.api("GET", `/v1/servers/${a.body.id}`)).body.address).toBe("10.60.0.10");
    // Its name on the edge, for a player's server list: derived from the database, no DNS asked.
    expect(a.body.connect).toEqual({ host: `mc-fabric-${a.body.vmid}.play.example.com`, port: a.body.ports.game });
    const listed = (await t.api("GET", "/v1/servers?limit=500")).body.items.find((s: { id: string }) => s.id === b.body.id);
    expect(listed.address).toBe("10.60.0.11");
    const events = (await t.api("GET", `/v1/servers/${a.body.id}/events`)).body.items;
    expect(events.find((e: { type: string }) => e.type === "server.requested").data).toMatchObject({ vmid: a.body.vmid, address: "10.60.0.10" });
    const host = (await t.api("GET", "/v1/hosts")).body.items.find((h: { id: string }) => h.id === enrolled.body.id);
    expect(host.network.addressesInUse).toBe(2);

    // The lease carries the network (the agent renders net0 from it).
    const sessionId = crypto.randomUUID();
    await t.sql`update hosts set session_id = ${sessionId} where id = ${enrolled.body.id}`;
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid) values (${a.body.id}, ${enrolled.body.id}, 1, 'provision', ${a.body.vmid})`;
    const { ops: [granted] } = await grantLeases(database.db, { hostId: enrolled.body.id, sessionId, max: 1, ttlMs: 30_000, secretsKeys: t.config.secretsKeys });
    expect(granted!.spec.network).toEqual({ bridge: "vmbr1", address: "10.60.0.10", prefix: 24, gateway: "10.60.0.1" });

    // A provision result naming another address does not override the allocation.
    const op = (await getOperation(database.db, granted!.opId))!;
    await database.db.transaction((tx) => onOperationFinished(tx, { ...op, status: "succeeded", result: { address: "192.168.9.9" } }, {}));
    expect((await t.api("GET", `/v1/servers/${a.body.id}`)).body.address).toBe("10.60.0.10");
    // Its name on the edge, for a player's server list: derived from the database, no DNS asked.
    expect(a.body.connect).toEqual({ host: `mc-fabric-${a.body.vmid}.play.example.com`, port: a.body.ports.game });
  });

  it("refuses a network change that would orphan a held address (409, nothing written) and applies one that covers them", async () => {
    const hostId = (await t.api("GET", "/v1/hosts")).body.items.find((h: { name: string }) => h.name === "static-a").id;
    const before = await counts();
    for (const body of [{ ...staticNet, range: { first: "10.60.0.11", last: "10.60.0.50" } }, { bridge: "vmbr0", mode: "dhcp" }]) {
      const res = await t.api("PATCH", `/v1/hosts/${hostId}/network`, body);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe("network_in_use");
      expect(res.body.message).toMatch(/10\.60\.0\.10/);
    }
    expect(await counts()).toEqual(before);
    expect((await t.api("PATCH", `/v1/hosts/${hostId}/network`, { ...staticNet, gateway: "10.60.0.1/24" })).status).toBe(400);
    expect((await t.api("PATCH", `/v1/hosts/${hostId}/network`, { ...staticNet, gateway: "10.60.1.1" })).body.error).toBe("invalid_network");
    expect((await t.api("PATCH", `/v1/hosts/${crypto.randomUUID()}/network`, staticNet)).status).toBe(404);
    expect(await counts()).toEqual(before);

    const grown = await t.api("PATCH", `/v1/hosts/${hostId}/network`, { ...staticNet, range: { first: "10.60.0.10", last: "10.60.0.40" } });
    expect(grown.status).toBe(200);
    expect(grown.body.network).toMatchObject({ mode: "static", range: { first: "10.60.0.10", last: "10.60.0.40" }, addressesInUse: 2 });
    const [changed] = await t.sql`select data from events where host_id = ${hostId} and type = 'host.network_changed'`;
    expect(changed!.data).toMatchObject({ mode: "static", rangeLast: "10.60.0.40" });
  });

  it("a dhcp host allocates nothing: address null until the agent reports one in a provision's result", async () => {
    await t.sql`update hosts set cordoned_at = now() where network_mode is distinct from 'dhcp'`;
    const enrolled = await t.api("POST", "/v1/hosts", { name: "dhcp-a", node: "pve", capacity, network: { bridge: "vmbr0" } });
    expect(enrolled.body.network).toEqual({ mode: "dhcp", bridge: "vmbr0" });
    const s = await create();
    expect(s.body.hostId).toBe(enrolled.body.id);
    expect(s.body.address).toBeNull();
    expect(s.body.connect).toBeNull(); // no address yet: nothing to point a name at

    const sessionId = crypto.randomUUID();
    await t.sql`update hosts set session_id = ${sessionId} where id = ${enrolled.body.id}`;
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid) values (${s.body.id}, ${enrolled.body.id}, 1, 'provision', ${s.body.vmid})`;
    const { ops: [granted] } = await grantLeases(database.db, { hostId: enrolled.body.id, sessionId, max: 1, ttlMs: 30_000, secretsKeys: t.config.secretsKeys });
    expect(granted!.spec.network).toEqual({ bridge: "vmbr0", mode: "dhcp" });

    const op = (await getOperation(database.db, granted!.opId))!;
    const finish = (result: unknown) =>
      database.db.transaction((tx) => onOperationFinished(tx, { ...op, status: "succeeded", result: result as Record<string, unknown> }, {}));
    // What the container said is hostile: anything but one unicast IPv4 address is ignored.
    for (const bad of ["10.0.0.1 10.0.0.2", "10.0.0.1/24", "0.0.0.0", "1.2.3.4'); drop table servers; --", 7]) await finish({ address: bad });
    expect((await t.api("GET", `/v1/servers/${s.body.id}`)).body.address).toBeNull();
    // The real path: the agent's result under its lease token.
    const verdict = await applyAgentResult(database.db, enrolled.body.id, { opId: granted!.opId, token: granted!.token, outcome: "succeeded", data: { address: "192.168.5.23" } }, {});
    expect(verdict.verdict).toBe("applied");
    expect((await t.api("GET", `/v1/servers/${s.body.id}`)).body).toMatchObject({ address: "192.168.5.23", connect: { host: `mc-fabric-${s.body.vmid}.play.example.com`, port: s.body.ports.game } });
    const events = (await t.api("GET", `/v1/servers/${s.body.id}/events`)).body.items;
    expect(events.filter((e: { type: string }) => e.type === "server.address_observed").map((e: { data: unknown }) => e.data)).toEqual([{ address: "192.168.5.23" }]);
  });

  it("a host without network settings behaves as before: no network in the lease, no address", async () => {
    await t.sql`update hosts set cordoned_at = now()`;
    const plain = await enrollHost(t.api, "plain-a");
    expect((await t.api("GET", "/v1/hosts")).body.items.find((h: { id: string }) => h.id === plain.id).network).toBeNull();
    const s = await create();
    expect([s.body.hostId, s.body.address]).toEqual([plain.id, null]);
    const sessionId = crypto.randomUUID();
    await t.sql`update hosts set session_id = ${sessionId} where id = ${plain.id}`;
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid) values (${s.body.id}, ${plain.id}, 1, 'provision', ${s.body.vmid})`;
    const { ops: [granted] } = await grantLeases(database.db, { hostId: plain.id, sessionId, max: 1, ttlMs: 30_000, secretsKeys: t.config.secretsKeys });
    expect(granted!.spec).not.toHaveProperty("network");
  });
});

describe("a network change racing creates", () => {
  it("never leaves an address outside the host's range: the change is refused, or every held address fits it", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    const wide = { bridge: "vmbr1", subnet: "10.61.0.0/24", gateway: "10.61.0.1", range: { first: "10.61.0.10", last: "10.61.0.29" } };
    const narrow = { ...wide, range: { first: "10.61.0.10", last: "10.61.0.12" } };
    for (let round = 0; round < 6; round++) {
      const enrolled = await t.api("POST", "/v1/hosts", { name: `race-${round}`, node: "pve", capacity, network: wide });
      await t.sql`update hosts set cordoned_at = now() where id <> ${enrolled.body.id}`;
      const creates = Array.from({ length: 8 }, (_, i) => t.api("POST", "/v1/servers", serverBody(i), { "idempotency-key": `race-${round}-${i}` }));
      const change = t.api("PATCH", `/v1/hosts/${enrolled.body.id}/network`, narrow);
      const [changed, ...created] = await Promise.all([change, ...creates]);
      expect([200, 409]).toContain(changed!.status); // which depends on timing; either is correct
      expect(created.filter((r) => r.status !== 202 && r.status !== 409)).toEqual([]);
      const [{ outside }] = await t.sql`
        select count(*)::int as outside from host_addresses ha join hosts h on h.id = ha.host_id
        where h.id = ${enrolled.body.id} and not ha.address between h.network_range_first and h.network_range_last`;
      expect(outside).toBe(0);
    }
  });
});
