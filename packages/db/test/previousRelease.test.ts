import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, listBackups, listChanges, queueBackupRemoval, type Database, type ServerRow } from "../src/index";
import { applyResultIfCurrent } from "./previousRelease/sql/applyResultIfCurrent";
import { markBackupDeleted, pruneBackups, requestBackup, finishBackup } from "./previousRelease/sql/backups";
import { endChange, recordChange } from "./previousRelease/sql/changes";
import { leaseNextOperations } from "./previousRelease/sql/leaseNextOperations";
import { insertOperation, lockServer } from "./previousRelease/sql/operations";
import { claimHost, insertPlacedServer } from "./previousRelease/sql/placeServer";
import { releaseServerResources } from "./previousRelease/sql/releaseServerResources";
import { syncResourcePools } from "./previousRelease/sql/syncResourcePools";
import { takeVmids } from "./previousRelease/sql/takeVmids";
import { insertTaskOperation } from "./previousRelease/sql/taskOperations";
import { transitionServer } from "./previousRelease/sql/transitionServer";

/**
 * Expand, then contract: during a rolling upgrade the previous release keeps
 * running against the migrated schema, so nothing it reads or writes may be
 * dropped, renamed or narrowed in the same release. This runs the previous
 * release's own hot-path statements (previousRelease/sql, copied by
 * refresh.sh when a release is cut) against every migration of this one:
 * a create with its VMID and ports, a lease, a result, a change and its
 * rollback, backups and their retention, a destroy's release of resources.
 */
describe("the previous release against this schema", () => {
  let database: Database;
  let hostId: string;
  const sessionId = crypto.randomUUID();
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    const [h] = await database.sql`
      insert into hosts (name, node, agent_token_hash, memory_mib, cpu_cores, disk_gib, session_id, last_heartbeat_at)
      values ('old', 'pve1', 'x', 8192, 8, 100, ${sessionId}, now()) returning id`;
    hostId = h!.id;
  });
  afterAll(() => database.close());

  const settings = { minecraftVersion: "1.21.1", loaderVersion: null, mods: [], serverProperties: {}, memoryMib: 2048, cpuCores: 2, diskGib: 10 };

  async function create(key: string): Promise<ServerRow> {
    return database.db.transaction(async (tx) => {
      const id = crypto.randomUUID();
      await syncResourcePools(tx, { first: 100, last: 120 });
      const [vmid] = await takeVmids(tx, id, { first: 100, last: 120 }, 1, "wait");
      const claimed = await claimHost(tx, settings, "wait", { policy: "spread", leaseTtlMs: 60_000 });
      expect(claimed).toBe(hostId);
      const server = await insertPlacedServer(
        tx,
        { ...settings, id, callerId: "old", idempotencyKey: key, requestHash: "h", customerId: "c", name: key, vmid: vmid! },
        claimed!,
        { first: 25565, last: 25600 },
        false,
      );
      return server!;
    });
  }

  /** Leases what is queued for the host and reports `data` for it, as the previous release's broker did. */
  async function leaseAndReport(data: Record<string, unknown>) {
    const [leased] = await leaseNextOperations(database.db, hostId, sessionId, 1, 60_000);
    expect(leased).toBeDefined();
    const verdict = await database.db.transaction((tx) =>
      applyResultIfCurrent(tx, hostId, { opId: leased!.id, token: leased!.lease_token!, outcome: "succeeded", data }),
    );
    expect(verdict.verdict).toBe("applied");
    return leased!;
  }

  it("creates, provisions, changes, backs up and destroys a server", async () => {
    const server = await create("old-1");
    expect(server).toMatchObject({ host_id: hostId, game_port: 25565, rcon_port: 25566 });
    await database.sql`update servers set manifest = '{"game":"1.21.1"}'::jsonb where id = ${server.id}`;

    // Provision: planned, leased, its result applied, the server running.
    await database.db.transaction(async (tx) => {
      await insertOperation(tx, (await lockServer(tx, server.id))!, "provision");
      await transitionServer(tx, server.id, "provisioning");
    });
    const provision = await leaseAndReport({ started: true });
    expect(provision.kind).toBe("provision");
    expect(await transitionServer(database.db, server.id, "running")).not.toBeNull();

    // A change, rolled back.
    const changed = await recordChange(database.db, {
      serverId: server.id, callerId: "old", idempotencyKey: "change-1", requestHash: "h", to: { ...settings, memoryMib: 1024 }, needsManifest: false, changes: {},
    });
    expect(changed).not.toBeNull();
    // Recorded before it ended (the current change, as the server holds it), then after (its end event).
    expect(await listChanges(database.db, server.id, { limit: 1 })).toMatchObject([{ generation: changed!.generation, status: "applying", ended_at: null }]);
    expect(await endChange(database.db, server.id, changed!.generation, "rolled_back", "did not come up")).toBe(true);
    expect(await listChanges(database.db, server.id, { limit: 1 })).toMatchObject([{ generation: changed!.generation, status: "rolled_back", reason: "did not come up" }]);
    // Once a later change is the server's current one, the old row's end comes from its event.
    await database.sql`update servers set change_generation = change_generation + 100 where id = ${server.id}`;
    const [old] = await listChanges(database.db, server.id, { limit: 1 });
    expect(old).toMatchObject({ status: "rolled_back", reason: "did not come up", ended_at: expect.anything() });
    await database.sql`update servers set change_generation = change_generation - 100 where id = ${server.id}`;

    // A backup (a task operation), leased and completed; retention; a DELETE of one.
    const backups: string[] = [];
    for (let i = 0; i < 2; i++) {
      const backup = await database.db.transaction((tx) => requestBackup(tx, server.id, crypto.randomUUID(), "hash"));
      expect(backup).not.toBeNull();
      const op = await leaseAndReport({ sha256: "ab", sizeBytes: 1 });
      expect(op.kind).toBe("backup");
      await finishBackup(database.db, backup!.id, { sha256: "ab", sizeBytes: 1 });
      backups.push(backup!.id);
    }
    expect(await database.db.transaction((tx) => pruneBackups(tx, server.id, 1, 30))).toEqual([backups[0]]);
    expect(await database.db.transaction((tx) => markBackupDeleted(tx, server.id, backups[1]!))).toBe(true);
    expect(await insertTaskOperation(database.db, server.id, "backup_delete", crypto.randomUUID(), { backupIds: backups }, 3)).not.toBeNull();
    // What it wrote reads as this release expects: nothing listed, both archives' removal still to be confirmed.
    expect(await listBackups(database.db, server.id)).toEqual([]);
    expect(await queueBackupRemoval(database.db, server.id)).toBeNull(); // its backup_delete is queued: one at a time

    // Destroy: resources given back.
    await database.sql`update operations set status = 'succeeded' where server_id = ${server.id} and status = 'queued'`;
    await database.sql`update servers set desired_state = 'deleted', generation = generation + 1 where id = ${server.id}`;
    await database.db.transaction(async (tx) => {
      await insertOperation(tx, (await lockServer(tx, server.id))!, "destroy");
      await transitionServer(tx, server.id, "deleting");
    });
    await leaseAndReport({});
    await database.db.transaction(async (tx) => {
      await transitionServer(tx, server.id, "deleted");
      await releaseServerResources(tx, server.id);
    });
    const [host] = await database.sql`select allocated_memory_mib, allocated_cpu_cores from hosts where id = ${hostId}`;
    expect(host).toMatchObject({ allocated_memory_mib: 0, allocated_cpu_cores: 0 });
    const [{ ports }] = await database.sql`select count(*)::int as ports from host_ports where server_id = ${server.id}`;
    expect(ports).toBe(0);

    // The freed ports and capacity are taken again.
    expect(await create("old-2")).toMatchObject({ game_port: 25565, rcon_port: 25566 });
  });
});
