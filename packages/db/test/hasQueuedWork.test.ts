import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, hasQueuedWork, leaseNextOperations, type Database } from "../src/index";

/** The probe that answers an agent's empty ask without a transaction must never hide work that leaseNextOperations would grant. */
describe("hasQueuedWork", () => {
  let database: Database;
  let hostId: string;
  let serverId: string;
  const sessionId = "00000000-0000-4000-8000-00000000000a";

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    [{ id: hostId }] = await database.sql`insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib, session_id) values ('h', 'pve1', 'x', 10, 10, 10, ${sessionId}) returning id`;
    [{ id: serverId }] = await database.sql`insert into servers (id, caller_id, idempotency_key, request_hash, customer_id, name, minecraft_version, memory_mib, cpu_cores, disk_gib, host_id, vmid, game_port, rcon_port)
      values (gen_random_uuid(), 'c', 'k', 'h', 'cust', 'n', '1.21.1', 1, 1, 1, ${hostId}, 5000, 40000, 40001) returning id`;
  });
  afterAll(() => database.close());

  it("says yes whenever the lease would find something, and no only when nothing is queued", async () => {
    expect(await hasQueuedWork(database.db, hostId)).toBe(false);
    // Queued but backing off: the lease takes nothing yet, the probe still says yes (a superset, never a miss).
    await database.sql`insert into operations (server_id, host_id, generation, kind, vmid, not_before) values (${serverId}, ${hostId}, 1, 'provision', 5000, now() + interval '1 hour')`;
    expect(await hasQueuedWork(database.db, hostId)).toBe(true);
    expect(await leaseNextOperations(database.db, hostId, sessionId, 4, 60_000)).toEqual([]);
    await database.sql`update operations set not_before = null where server_id = ${serverId}`;
    expect(await hasQueuedWork(database.db, hostId)).toBe(true);
    expect(await leaseNextOperations(database.db, hostId, sessionId, 4, 60_000)).toHaveLength(1);
    // Leased: nothing left to grant.
    expect(await hasQueuedWork(database.db, hostId)).toBe(false);
  });
});
