import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, endChange, recordChange, type Database, type ServerSettings } from "../src/index";
import { seedHost, seedServer } from "./support/seed";

/**
 * A change that shrank a server and is rolled back (the agent put the old
 * settings back) when another server took what the shrink freed: the host
 * is never over-committed (its capacity check would fail the statement, and
 * with it every later converge of the server).
 */
describe("endChange when the previous resources no longer fit", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  const settings = (memoryMiB: number, cpuCores: number): ServerSettings => ({
    type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB, cpuCores, diskGiB: 10,
  });

  async function shrunk(hostName: string) {
    const hostId = await seedHost(database.sql, hostName, { memory: 4096, cpu: 4, disk: 100 });
    const server = await seedServer(database, hostId, { memoryMiB: 3072 });
    const changed = await recordChange(database.db, {
      serverId: server.id, callerId: "t", idempotencyKey: `shrink-${hostName}`, requestHash: "h", to: settings(1024, 1), needsManifest: false, changes: {},
    });
    return { hostId, server, generation: changed!.generation };
  }

  it("keeps the changed memory and cores, ends the change rolled back, and records why", async () => {
    const { hostId, server, generation } = await shrunk("full");
    await seedServer(database, hostId, { memoryMiB: 3072 }); // takes what the shrink freed: 4096 of 4096
    expect(await endChange(database.db, server.id, generation, "rolled_back", "the server did not come up")).toBe(true);
    const [s] = await database.sql`select memory_mib, cpu_cores, change_status, change_reason from servers where id = ${server.id}`;
    expect(s).toMatchObject({ memory_mib: 1024, cpu_cores: 1, change_status: "rolled_back" });
    expect(s!.change_reason).toMatch(/^the server did not come up; memory and cores kept at 1024 MiB \/ 1: the host no longer has room/);
    const [h] = await database.sql`select allocated_memory_mib, allocated_cpu_cores from hosts where id = ${hostId}`;
    expect(h).toMatchObject({ allocated_memory_mib: 4096, allocated_cpu_cores: 2 });
    const events = await database.sql`select type, data from events where server_id = ${server.id} and type like 'server.change_%' order by id`;
    expect(events.map((e) => e.type)).toEqual(["server.change_requested", "server.change_rolled_back", "server.change_resources_kept"]);
    expect(events[2]!.data).toMatchObject({ generation, kept: { memoryMiB: 1024, cpuCores: 1 }, previous: { memoryMiB: 3072, cpuCores: 1 } });
  });

  it("restores the previous memory and cores when they still fit", async () => {
    const { hostId, server, generation } = await shrunk("roomy");
    expect(await endChange(database.db, server.id, generation, "rolled_back", "the server did not come up")).toBe(true);
    const [s] = await database.sql`select memory_mib, change_reason from servers where id = ${server.id}`;
    expect(s).toMatchObject({ memory_mib: 3072, change_reason: "the server did not come up" });
    const [h] = await database.sql`select allocated_memory_mib from hosts where id = ${hostId}`;
    expect(h!.allocated_memory_mib).toBe(3072);
  });
});
