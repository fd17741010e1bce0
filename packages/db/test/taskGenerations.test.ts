import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, insertTaskOperation, TASK_GENERATION_FLOOR, type Database } from "../src/index";
import { seedHost, seedServer } from "./support/seed";

/**
 * Task generations: below zero, unique per server, and not bounded by how
 * many tasks the whole fleet ever ran (the global sequence cast to int
 * overflowed after 2^31), nor colliding with those the previous release
 * still takes from that sequence during a rolling upgrade.
 */
describe("task operations' generations", () => {
  let database: Database;
  let hostId: string;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    hostId = await seedHost(database.sql, "gen");
  });
  afterAll(() => database.close());

  const generations = async (serverId: string) =>
    (await database.sql`select generation from operations where server_id = ${serverId} order by created_at, generation desc`).map((r) => r.generation as number);

  it("keeps queueing after the fleet has run 2^31 tasks", async () => {
    await database.sql`select setval('task_generation_seq', 2147483647)`;
    const server = await seedServer(database, hostId);
    for (let i = 0; i < 3; i++) expect(await insertTaskOperation(database.db, server.id, "logs", crypto.randomUUID(), {}, 1)).not.toBeNull();
    expect(await generations(server.id)).toEqual([TASK_GENERATION_FLOOR - 1, TASK_GENERATION_FLOOR - 2, TASK_GENERATION_FLOOR - 3]);
  });

  it("counts per server, below every generation the previous release hands out", async () => {
    await database.sql`select setval('task_generation_seq', 41)`;
    const a = await seedServer(database, hostId);
    const b = await seedServer(database, hostId);
    // The previous release's statement, as it still runs on an old control plane during the upgrade.
    await database.sql`
      insert into operations (server_id, host_id, generation, kind, vmid, subject_id, params, max_attempts)
      select id, host_id, -nextval('task_generation_seq')::int, 'logs', vmid, ${crypto.randomUUID()}, '{}'::jsonb, 1 from servers where id = ${a.id}`;
    await insertTaskOperation(database.db, a.id, "logs", crypto.randomUUID(), {}, 1);
    await insertTaskOperation(database.db, b.id, "logs", crypto.randomUUID(), {}, 1);
    await insertTaskOperation(database.db, a.id, "logs", crypto.randomUUID(), {}, 1);
    expect(await generations(a.id)).toEqual([-42, TASK_GENERATION_FLOOR - 1, TASK_GENERATION_FLOOR - 2]);
    expect(await generations(b.id)).toEqual([TASK_GENERATION_FLOOR - 1]);
  });
});
