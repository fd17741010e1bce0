import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, insertOperation, lockServer, recordChange, type Database, type OperationRow } from "@zlh/db";
import { onOperationFinished, onOperationLeased } from "../src/broker/effects";
import { converge } from "../src/lifecycle/converge";
import { seedHost, seedServer } from "../../../packages/db/test/support/seed";

/**
 * A change applied to a server wanted stopped: the agent changes it and does
 * not start it (`started: false`). The server must end `stopped`, not
 * `running` (which wrote `server.running`, queued an edge publish and then
 * planned a stop of a server that was never started).
 */
describe("a change to a stopped server", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  it("is applied and leaves the server stopped, with nothing published and nothing else planned", async () => {
    const hostId = await seedHost(database.sql, "h");
    const seeded = await seedServer(database, hostId, { status: "stopped", desiredState: "stopped" });
    const changed = await recordChange(database.db, {
      serverId: seeded.id, callerId: "t", idempotencyKey: "k", requestHash: "h", needsManifest: false, changes: { memoryMiB: { from: 1024, to: 2048 } },
      to: { type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB: 2048, cpuCores: 1, diskGiB: 10 },
    });
    const opId = await database.db.transaction(async (tx) => insertOperation(tx, (await lockServer(tx, seeded.id))!, "provision"));
    const [row] = await database.sql`update operations set status = 'succeeded', result = ${JSON.stringify({ applied: true, started: false, filesWritten: 1 })}::jsonb
      where id = ${opId!} returning *`;
    const op = { ...row, age_ms: 0 } as unknown as OperationRow;
    await database.db.transaction(async (tx) => {
      await onOperationLeased(tx, op);
      await onOperationFinished(tx, op, {});
      await converge(tx, seeded.id);
    });

    const [s] = await database.sql`select status, change_status, generation from servers where id = ${seeded.id}`;
    expect(s).toMatchObject({ status: "stopped", change_status: "applied", generation: changed!.generation });
    const [history] = await database.sql`select status, ended_at from server_changes where server_id = ${seeded.id} and generation = ${changed!.generation}`;
    expect(history).toMatchObject({ status: "applied", ended_at: expect.anything() });
    const [{ running }] = await database.sql`select count(*)::int as running from events where server_id = ${seeded.id} and type = 'server.running'`;
    expect(running).toBe(0);
    const [{ jobs }] = await database.sql`select count(*)::int as jobs from graphile_worker.jobs where task_identifier like 'edge%'`;
    expect(jobs).toBe(0);
    const [{ live }] = await database.sql`select count(*)::int as live from operations where server_id = ${seeded.id} and status in ('queued', 'leased')`;
    expect(live).toBe(0);
  });
});
