import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, insertOperation, insertTaskOperation, type Database } from "../src/index";
import { seedHost, seedServer, waitForLockWaiters } from "./support/seed";

/**
 * One task at a time per server, decided by the database: requests that
 * queue up behind the server's lock must each see what the one before them
 * committed, so exactly one of many concurrent backups/restores is queued.
 */
describe("insertTaskOperation under concurrency", () => {
  let database: Database;
  let hostId: string;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 14 });
    hostId = await seedHost(database.sql, "h1");
  });
  afterAll(() => database.close());

  /** Runs `attempts` concurrently, all released at once from behind the server's row lock. */
  async function raceBehindLock<T>(serverId: string, attempts: (() => Promise<T>)[]): Promise<T[]> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = database.sql.begin(async (tx) => {
      await tx`select id from servers where id = ${serverId} for update`;
      locked();
      await released;
    });
    await isLocked;
    const results = Promise.all(attempts.map((a) => a()));
    await waitForLockWaiters(database.sql, attempts.length);
    release();
    await holder;
    return results;
  }

  it("queues exactly one of many concurrent non-read tasks on one server", async () => {
    const server = await seedServer(database, hostId);
    const kinds = ["backup", "restore", "command", "backup", "restore", "command", "backup_delete", "backup"] as const;
    const ids = await raceBehindLock(
      server.id,
      kinds.map((kind) => () => database.db.transaction((tx) => insertTaskOperation(tx, server.id, kind, crypto.randomUUID(), {}, 3))),
    );
    expect(ids.filter((id) => id !== null)).toHaveLength(1);
    const [{ live }] = await database.sql`select count(*)::int as live from operations where server_id = ${server.id} and status in ('queued', 'leased')`;
    expect(live).toBe(1);
  });

  it("lets reads run beside a task, and keeps a task out while a lifecycle step is live", async () => {
    const server = await seedServer(database, hostId);
    expect(await insertTaskOperation(database.db, server.id, "backup", crypto.randomUUID(), {}, 3)).not.toBeNull();
    expect(await insertTaskOperation(database.db, server.id, "logs", crypto.randomUUID(), {}, 1)).not.toBeNull();
    expect(await insertTaskOperation(database.db, server.id, "logs", crypto.randomUUID(), {}, 1)).not.toBeNull();
    expect(await insertTaskOperation(database.db, server.id, "restore", crypto.randomUUID(), {}, 3)).toBeNull();

    const other = await seedServer(database, hostId);
    expect(await insertTaskOperation(database.db, other.id, "backup", crypto.randomUUID(), {}, 3)).not.toBeNull();
    // The lifecycle step itself may still be planned beside a live task (it waits for it when leased).
    expect(await insertOperation(database.db, other, "stop")).not.toBeNull();
  });

  it("sees a lifecycle step committed by the lock's previous holder", async () => {
    const server = await seedServer(database, hostId);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = database.sql.begin(async (tx) => {
      await tx`select id from servers where id = ${server.id} for update`;
      locked();
      await released;
      await tx`insert into operations (server_id, host_id, generation, kind, vmid) values (${server.id}, ${server.host_id}, ${server.generation}, 'stop', ${server.vmid})`;
    });
    await isLocked;
    const task = database.db.transaction((tx) => insertTaskOperation(tx, server.id, "backup", crypto.randomUUID(), {}, 3));
    await waitForLockWaiters(database.sql, 1);
    release();
    await holder;
    expect(await task).toBeNull();
  });
});
