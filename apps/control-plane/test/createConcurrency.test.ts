import { beforeAll, describe, expect, it } from "vitest";
import { enrollHost, serverBody, startTestPlane } from "./harness";

/** Provision jobs as graphile-worker holds them (the public `jobs` view hides payloads). */
const provisionJobs = (t: Plane) => t.sql`
  select j.payload->>'serverId' as server_id from graphile_worker._private_jobs j
  join graphile_worker._private_tasks k on k.id = j.task_id
  where k.identifier = 'server.provision'`;

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

async function planeWithTwoHosts(): Promise<Plane> {
  // 100 VMIDs only; ports plentiful; no worker, so the enqueued jobs stay visible.
  const t = await startTestPlane({ ZLH_VMID_RANGE: "7000-7099" }, { runWorker: false });
  await enrollHost(t.api, "host-a");
  await enrollHost(t.api, "host-b");
  return t;
}

describe("POST /v1/servers with duplicated Idempotency-Keys", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await planeWithTwoHosts();
  });

  it("300 concurrent creates over 30 keys make exactly 30 servers and 30 jobs", async () => {
    const keys = Array.from({ length: 30 }, (_, k) => `dup-key-${k}`);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const k = i % 30;
        return t.api("POST", "/v1/servers", serverBody(k), { "idempotency-key": keys[k]! });
      }),
    );
    expect(results.map((r) => r.status).filter((s) => s !== 202)).toEqual([]);
    const idsByKey = new Map<number, Set<string>>();
    results.forEach((r, i) => {
      const set = idsByKey.get(i % 30) ?? new Set();
      set.add(r.body.id);
      idsByKey.set(i % 30, set);
    });
    expect([...idsByKey.values()].every((s) => s.size === 1)).toBe(true);
    const ids = new Set([...idsByKey.values()].flatMap((s) => [...s]));
    expect(ids.size).toBe(30);

    const [{ servers }] = await t.sql`select count(*)::int as servers from servers where idempotency_key like 'dup-key-%'`;
    const jobs = (await provisionJobs(t)).filter((j) => ids.has(j.server_id)).length;
    const [{ requested }] = await t.sql`
      select count(*)::int as requested from events where type = 'server.requested' and server_id = any(${[...ids]})`;
    expect({ servers, jobs, requested }).toEqual({ servers: 30, jobs: 30, requested: 30 });

    // A replay, sequential and later, returns the same server.
    const replay = await t.api("POST", "/v1/servers", serverBody(3), { "idempotency-key": keys[3]! });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe([...idsByKey.get(3)!][0]);
  });

});

describe("POST /v1/servers exhausting the VMID range", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await planeWithTwoHosts();
  });

  it("150 distinct creates against 100 VMIDs: 100 accepted with unique VMIDs and ports, 50 capacity_exhausted", async () => {
    const free = 100;
    const results = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        t.api("POST", "/v1/servers", serverBody(1000 + i), { "idempotency-key": `distinct-${i}` }),
      ),
    );
    const accepted = results.filter((r) => r.status === 202).map((r) => r.body);
    const refused = results.filter((r) => r.status === 409);
    expect(results.filter((r) => r.status !== 202 && r.status !== 409)).toEqual([]);
    expect(accepted.length).toBe(free);
    expect(refused.length).toBe(150 - free);
    expect(refused.every((r) => r.body.error === "capacity_exhausted")).toBe(true);
    expect(new Set(accepted.map((s) => s.vmid)).size).toBe(accepted.length);
    // Ports are per host: unique on each host, and reused across hosts.
    const ports = accepted.flatMap((s) => [`${s.hostId} ${s.ports.game}`, `${s.hostId} ${s.ports.rcon}`]);
    expect(new Set(ports).size).toBe(ports.length);

    // No partial rows: every taken pool row belongs to a server, and nothing else was written.
    const [counts] = await t.sql`
      select
        (select count(*)::int from servers) as servers,
        (select count(*)::int from vmid_pool where state = 'taken') as vmids,
        (select count(*)::int from host_ports) as ports,
        (select count(*)::int from events where type = 'server.requested') as events,
        (select count(*)::int from vmid_pool p left join servers s on s.id = p.server_id
          where p.state = 'taken' and (s.id is null or s.vmid <> p.vmid)) as orphan_vmids`;
    expect(counts).toEqual({ servers: 100, vmids: 100, ports: 200, events: 100, orphan_vmids: 0 });
    expect((await provisionJobs(t)).length).toBe(100);
    const [alloc] = await t.sql`select sum(allocated_memory_mib)::int as mem from hosts`;
    expect(alloc.mem).toBe(100 * 1024);
  });
});

describe("ports are per host", () => {
  it("40 concurrent creates on one host of 20 ports: 10 accepted with distinct ports, 30 refused for ports, nothing half-written", async () => {
    // One host, so every create takes the same host lock and reads its ports after the previous holder's commit.
    const t = await startTestPlane({ ZLH_VMID_RANGE: "7100-7199", ZLH_PORT_RANGE: "41000-41019" }, { runWorker: false });
    const host = await enrollHost(t.api, "host-ports");
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.api("POST", "/v1/servers", serverBody(2000 + i), { "idempotency-key": `ports-${i}` })),
    );
    const accepted = results.filter((r) => r.status === 202).map((r) => r.body);
    expect(results.filter((r) => r.status !== 202 && r.status !== 409)).toEqual([]);
    expect(accepted.length).toBe(10);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error === "capacity_exhausted" && /ports/.test(r.body.message))).toBe(true);
    const ports = accepted.flatMap((s) => [s.ports.game, s.ports.rcon]).sort((a, b) => a - b);
    expect(ports).toEqual(Array.from({ length: 20 }, (_, i) => 41000 + i));
    const [counts] = await t.sql`
      select (select count(*)::int from servers) as servers, (select count(*)::int from host_ports where host_id = ${host.id}) as ports,
        (select count(*)::int from vmid_pool where state = 'taken') as vmids, (select allocated_memory_mib from hosts where id = ${host.id}) as mem`;
    expect(counts).toEqual({ servers: 10, ports: 20, vmids: 10, mem: 10 * 1024 });

    // A second host hands out the same ports again.
    await enrollHost(t.api, "host-ports-2");
    const other = await t.api("POST", "/v1/servers", serverBody(3000), { "idempotency-key": "ports-other" });
    expect(other.status).toBe(202);
    expect([other.body.ports.game, other.body.ports.rcon]).toEqual([41000, 41001]);
  });
});

describe("addresses are per host network", () => {
  it("30 concurrent creates on one static host of 8 addresses: 8 accepted with distinct addresses, 22 refused for the address, nothing half-written", async () => {
    const t = await startTestPlane({ ZLH_VMID_RANGE: "7200-7299" }, { runWorker: false });
    const enrolled = await t.api("POST", "/v1/hosts", {
      name: "host-addr",
      node: "host-addr",
      capacity: { memoryMiB: 1_000_000, cpuCores: 4000, diskGiB: 1_000_000 },
      network: { bridge: "vmbr1", subnet: "10.60.0.0/24", gateway: "10.60.0.1", range: { first: "10.60.0.100", last: "10.60.0.107" } },
    });
    expect(enrolled.status).toBe(201);
    const hostId = enrolled.body.id as string;
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.api("POST", "/v1/servers", serverBody(4000 + i), { "idempotency-key": `addr-${i}` })),
    );
    expect(results.filter((r) => r.status !== 202 && r.status !== 409)).toEqual([]);
    const accepted = results.filter((r) => r.status === 202).map((r) => r.body);
    expect(accepted.length).toBe(8);
    const refused = results.filter((r) => r.status === 409);
    expect(refused.every((r) => r.body.error === "capacity_exhausted" && /address/.test(r.body.message))).toBe(true);
    expect(accepted.map((s) => s.address).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `10.60.0.${100 + i}`));
    const [counts] = await t.sql`
      select (select count(*)::int from servers) as servers,
        (select count(*)::int from host_addresses where host_id = ${hostId}) as addresses,
        (select count(*)::int from host_addresses ha join servers s on s.id = ha.server_id and s.address = ha.address) as matching,
        (select count(*)::int from host_ports where host_id = ${hostId}) as ports,
        (select count(*)::int from vmid_pool where state = 'taken') as vmids,
        (select count(*)::int from events where type = 'server.requested') as events,
        (select allocated_memory_mib from hosts where id = ${hostId}) as mem`;
    expect(counts).toEqual({ servers: 8, addresses: 8, matching: 8, ports: 16, vmids: 8, events: 8, mem: 8 * 1024 });
  });
});
