import { randomUUID } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database, type OperationRow } from "@zlh/db";
import { onOperationFinished } from "../src/broker/effects";
import { sweepBackupRemovals } from "../src/broker/backupRemovalSweep";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * Removed backups' archives are removed from their host eventually: those of
 * a deleted server (DELETE answered 409 server_busy, forever), and those
 * retention removed while the server was busy (the backup_delete was not
 * queued, and nothing ever queued it again).
 */
describe("removing backups' archives", () => {
  let t: Plane;
  let database: Database;
  const log = pino({ level: "silent" });
  let n = 0;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 2 });
  });
  afterAll(() => database.close());

  async function serverWithBackups(hostName: string, count: number) {
    await enrollHost(t.api, hostName);
    const server = (await t.api("POST", "/v1/servers", serverBody(++n), { "idempotency-key": `backups-${n}` })).body as { id: string; hostId: string };
    await t.sql`update servers set status = 'running', manifest = '{}'::jsonb where id = ${server.id}`;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const [b] = await t.sql`
        insert into backups (id, server_id, host_id, status, size_bytes, sha256, completed_at, created_at)
        values (gen_random_uuid(), ${server.id}, ${server.hostId}, 'completed', 10, 'ab', now(), now() - ${i} * interval '1 minute') returning id`;
      ids.push(b!.id);
    }
    return { ...server, backupIds: ids };
  }
  const removalOps = (serverId: string) =>
    t.sql`select status, params from operations where server_id = ${serverId} and kind = 'backup_delete' order by created_at`;

  it("deletes a deleted server's backup: the row at once, its archive by an operation on its host", async () => {
    const s = await serverWithBackups("deleted-server-host", 1);
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${s.id}`;
    const res = await t.api("DELETE", `/v1/servers/${s.id}/backups/${s.backupIds[0]}`);
    expect(res.status).toBe(200);
    expect((await t.api("GET", `/v1/servers/${s.id}/backups`)).body.items).toEqual([]);
    const ops = await removalOps(s.id);
    expect(ops).toEqual([{ status: "queued", params: { backupIds: [s.backupIds[0]] } }]);
  });

  it("queues a retention removal once the busy server is free, and settles it when the agent confirms", async () => {
    const s = await serverWithBackups("busy-host", 3);
    // A restore is running: retention (keep 1) runs after another backup, and its removal cannot be queued now.
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_session_id, lease_expires_at)
      select id, host_id, -5, 'restore', vmid, 'leased', gen_random_uuid(), now() + interval '1 hour' from servers where id = ${s.id}`;
    await database.db.transaction((tx) =>
      onOperationFinished(tx, { id: randomUUID(), kind: "backup", status: "succeeded", server_id: s.id, host_id: s.hostId, subject_id: s.backupIds[0], result: { sha256: "ab", sizeBytes: 10 } } as unknown as OperationRow, { backupRetention: { keep: 1, maxAgeDays: 30 } }),
    );
    expect(await removalOps(s.id)).toEqual([]);
    await sweepBackupRemovals(database.db, log);
    expect(await removalOps(s.id)).toEqual([]); // still busy

    await t.sql`update operations set status = 'succeeded', lease_session_id = null, lease_expires_at = null where server_id = ${s.id} and kind = 'restore'`;
    await sweepBackupRemovals(database.db, log);
    const [op] = await removalOps(s.id);
    expect(op!.status).toBe("queued");
    expect([...(op!.params as { backupIds: string[] }).backupIds].sort()).toEqual(s.backupIds.slice(1).sort());
    await sweepBackupRemovals(database.db, log);
    expect(await removalOps(s.id)).toHaveLength(1); // one at a time

    const [row] = await t.sql`update operations set status = 'succeeded' where server_id = ${s.id} and kind = 'backup_delete' returning *`;
    await database.db.transaction((tx) => onOperationFinished(tx, row as unknown as OperationRow, {}));
    const [{ pending }] = await t.sql`select count(*)::int as pending from backups where server_id = ${s.id} and deleted_at is not null and archive_settled_at is null`;
    expect(pending).toBe(0);
    const [{ removed }] = await t.sql`select count(*)::int as removed from events where server_id = ${s.id} and type = 'backup.archive_removed'`;
    expect(removed).toBe(2);
  });

  it("reports the archives of a removed host as abandoned, and stops trying", async () => {
    const s = await serverWithBackups("gone-host", 1);
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${s.id}`;
    await t.sql`update hosts set revoked_at = now() where id = ${s.hostId}`;
    expect((await t.api("DELETE", `/v1/servers/${s.id}/backups/${s.backupIds[0]}`)).status).toBe(200);
    await sweepBackupRemovals(database.db, log);
    expect(await removalOps(s.id)).toEqual([]);
    const [event] = await t.sql`select data from events where server_id = ${s.id} and type = 'backup.archive_abandoned'`;
    expect(event!.data).toEqual({ backupId: s.backupIds[0], reason: "its host was removed" });
  });
});
