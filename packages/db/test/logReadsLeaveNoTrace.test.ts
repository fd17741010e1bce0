import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { applyResultIfCurrent, connectDatabase, endLogRead, expireLeases, redriveDelete, removeEndedLogRead, type Database } from "../src/index";

/**
 * A `logs` operation is a read a live console repeats every second: it
 * writes no events and never counts as a lifecycle step in flight, also
 * when its lease expires (an agent dropped mid-read) or when a DELETE is
 * driven again beside it.
 */
describe("log reads leave no trace in lifecycle statements", () => {
  let database: Database;
  let hostId: string;
  let serverId: string;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    [{ id: hostId }] = await database.sql`insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib) values ('h', 'pve1', 'x', 10, 10, 10) returning id`;
    [{ id: serverId }] = await database.sql`insert into servers (id, caller_id, idempotency_key, request_hash, customer_id, name, minecraft_version, memory_mib, cpu_cores, disk_gib, host_id, vmid, game_port, rcon_port)
      values (gen_random_uuid(), 'c', 'k', 'h', 'cust', 'n', '1.21.1', 1, 1, 1, ${hostId}, 5000, 40000, 40001) returning id`;
  });
  afterAll(() => database.close());

  it("an expired log read goes back to the queue without an op.lease_expired event", async () => {
    const [{ id }] = await database.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_token, lease_session_id, lease_expires_at, attempt, max_attempts)
      values (${serverId}, ${hostId}, -1073741825, 'logs', 5000, 'leased', 7, gen_random_uuid(), now() - interval '1 second', 1, 3) returning id`;
    const expired = await expireLeases(database.db);
    expect(expired.map((o) => [o.id, o.status])).toEqual([[id, "queued"]]);
    expect(await database.sql`select type from events where operation_id = ${id}`).toEqual([]);
    await database.sql`delete from operations where id = ${id}`;
  });

  it("a read whose stream ended while the agent held it is gone once its answer is applied, not left for the sweep", async () => {
    const session = crypto.randomUUID();
    await database.sql`update hosts set session_id = ${session} where id = ${hostId}`;
    const [{ id }] = await database.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_token, lease_session_id, lease_expires_at, attempt, max_attempts, params)
      values (${serverId}, ${hostId}, -1073741827, 'logs', 5000, 'leased', 9, ${session}, now() + interval '1 minute', 1, 3, '{"tail": 5}') returning id`;
    await endLogRead(database.db, id); // the stream closed: the agent holds the row, so it is only marked
    expect((await database.sql`select params->>'ended' as ended from operations where id = ${id}`)[0]?.ended).toBe("true");
    await database.db.transaction(async (tx) => {
      const verdict = await applyResultIfCurrent(tx, hostId, { opId: id, token: "9", outcome: "succeeded", data: { lines: [], offset: 0 } });
      expect(verdict.verdict).toBe("applied");
      await removeEndedLogRead(tx, id);
    });
    expect(await database.sql`select id from operations where id = ${id}`).toEqual([]);
  });

  it("a repeated DELETE is driven again while a log read is in flight", async () => {
    await database.sql`update servers set status = 'deleting', desired_state = 'deleted' where id = ${serverId}`;
    await database.sql`insert into operations (server_id, host_id, generation, kind, vmid, status) values (${serverId}, ${hostId}, -1073741826, 'logs', 5000, 'queued')`;
    const before = (await database.sql`select generation from servers where id = ${serverId}`)[0]!.generation as number;
    const redriven = await redriveDelete(database.db, serverId);
    expect(redriven?.generation).toBe(before + 1);
  });
});
