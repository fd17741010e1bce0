import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { claimHost, connectDatabase, insertPlacedServer, removeEmptyHost, type Database } from "../src/index";
import { seedHost, waitForLockWaiters } from "./support/seed";

/**
 * DELETE /v1/hosts/:id against a create committing a server onto that host:
 * the removal waits for the create's hold on the host, and must then count
 * the server the create committed (not the snapshot it took before waiting).
 */
describe("removeEmptyHost racing a create", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
  });
  afterAll(() => database.close());

  it("refuses to remove a host a concurrent create placed a server on", async () => {
    const hostId = await seedHost(database.sql, "racy");
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let placed!: () => void;
    const isPlaced = new Promise<void>((r) => (placed = r));
    const create = database.db.transaction(async (tx) => {
      const claimed = await claimHost(tx, { memoryMiB: 1024, cpuCores: 1, diskGiB: 1 }, "wait", { policy: "spread", leaseTtlMs: 60_000 });
      expect(claimed).toBe(hostId);
      const id = crypto.randomUUID();
      await insertPlacedServer(
        tx,
        { id, callerId: "t", idempotencyKey: "k", requestHash: "h", customerId: "c", name: "s", type: "fabric", minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMiB: 1024, cpuCores: 1, diskGiB: 1, vmid: 7001 },
        hostId,
        { first: 30000, last: 30010 },
        false,
      );
      placed();
      await committing;
    });
    await isPlaced;
    const removal = database.db.transaction((tx) => removeEmptyHost(tx, hostId));
    await waitForLockWaiters(database.sql, 1);
    commit();
    await create;
    expect(await removal).toEqual({ refused: 1 });
    const [h] = await database.sql`select revoked_at from hosts where id = ${hostId}`;
    expect(h!.revoked_at).toBeNull();
  });

  it("removes an empty host, and a create after it finds no host", async () => {
    const hostId = await seedHost(database.sql, "empty");
    await database.sql`update hosts set cordoned_at = now() where id <> ${hostId}`;
    const outcome = await removeEmptyHost(database.db, hostId);
    expect(outcome && "removed" in outcome).toBe(true);
    expect(await claimHost(database.db, { memoryMiB: 1, cpuCores: 1, diskGiB: 1 }, "wait", { policy: "spread", leaseTtlMs: 60_000 })).toBeNull();
  });
});
