import { beforeAll, describe, expect, it } from "vitest";
import { SERVER_STATUSES } from "@zlh/domain";
import { ADMIN_TOKEN, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** Every sample of one metric, keyed by its label set as printed (`{a="x",b="y"}`). */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out.set(m[1] ?? "", Number(m[2]));
  }
  return out;
}

describe("servers by status and per-host capacity gauges", () => {
  let t: Plane;
  let a: { id: string };
  let b: { id: string };
  const scrape = async () => (await fetch(`${t.plane.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    a = await enrollHost(t.api, "cap-a", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 });
    b = await enrollHost(t.api, "cap-b", { memoryMiB: 4096, cpuCores: 2, diskGiB: 50 });
  });

  it("exports every server status, zeros included, before any server exists", async () => {
    const servers = samples(await scrape(), "zlh_servers");
    expect([...servers.keys()].sort()).toEqual(SERVER_STATUSES.map((s) => `{status="${s}"}`).sort());
    expect([...servers.values()].every((v) => v === 0)).toBe(true);
  });

  it("counts servers by status, and each host's capacity, what its servers hold and how many, by host id and name", async () => {
    // 3 cores each: more than cap-b has, so both are placed on cap-a.
    for (const [i, memoryMiB] of [1024, 2048].entries()) {
      const res = await t.api("POST", "/v1/servers", serverBody(i, { memoryMiB, cpuCores: 3, diskGiB: 10 }), { "idempotency-key": `cap-${i}` });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    }
    await t.sql`update servers set status = 'failed' where name = 'srv-1'`;
    const text = await scrape();
    const servers = samples(text, "zlh_servers");
    expect(servers.get('{status="pending"}')).toBe(1);
    expect(servers.get('{status="failed"}')).toBe(1);
    expect(servers.get('{status="running"}')).toBe(0);
    const [held] = await t.sql`select allocated_memory_mib as m, allocated_cpu_cores as c, allocated_disk_gib as d from hosts where id = ${a.id}`;
    const onA = `{host_id="${a.id}",host="cap-a"}`;
    const onB = `{host_id="${b.id}",host="cap-b"}`;
    const MiB = 1024 * 1024;
    expect(samples(text, "zlh_host_memory_total_bytes")).toEqual(new Map([[onA, 8192 * MiB], [onB, 4096 * MiB]]));
    expect(samples(text, "zlh_host_memory_used_bytes")).toEqual(new Map([[onA, held!.m * MiB], [onB, 0]]));
    expect(held!.m).toBeGreaterThan(0);
    expect(samples(text, "zlh_host_cpu_total_cores")).toEqual(new Map([[onA, 8], [onB, 2]]));
    expect(samples(text, "zlh_host_cpu_used_cores")).toEqual(new Map([[onA, held!.c], [onB, 0]]));
    expect(samples(text, "zlh_host_disk_total_bytes")).toEqual(new Map([[onA, 100 * 1024 * MiB], [onB, 50 * 1024 * MiB]]));
    expect(samples(text, "zlh_host_disk_used_bytes")).toEqual(new Map([[onA, held!.d * 1024 * MiB], [onB, 0]]));
    expect(samples(text, "zlh_host_servers_held")).toEqual(new Map([[onA, 2], [onB, 0]]));
  });

  it("drops a removed host's series and stops counting deleted servers as held", async () => {
    await t.sql`update servers set status = 'deleted' where name = 'srv-1'`;
    expect((await t.api("DELETE", `/v1/hosts/${b.id}`)).status).toBe(200);
    const text = await scrape();
    expect(samples(text, "zlh_host_servers_held")).toEqual(new Map([[`{host_id="${a.id}",host="cap-a"}`, 1]]));
    expect(samples(text, "zlh_servers").get('{status="deleted"}')).toBe(1);
  });
});
