import { beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, pruneAll, pruneOperations } from "@zlh/db";
import { apiClient, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** Backups and restores take an Idempotency-Key; a restore answers with its operation and can go into another server of the customer on the same host. */
describe("backup and restore requests", () => {
  let t: Plane;
  let n = 0;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_COMMAND_TIMEOUT_MS: "3000", ZLH_BACKUP_DOWNLOADS_PER_SERVER: "2" }, { runWorker: false });
  });

  async function runningServer(hostName: string, overrides: Record<string, unknown> = {}) {
    const hosts = (await t.api("GET", "/v1/hosts")).body.items as { id: string; name: string }[];
    if (!hosts.some((h) => h.name === hostName)) await enrollHost(t.api, hostName);
    const body = serverBody(++n, overrides);
    const server = (await t.api("POST", "/v1/servers", body, { "idempotency-key": `backup-req-${n}` })).body as { id: string; hostId: string };
    await t.sql`update servers set status = 'running', manifest = '{}'::jsonb where id = ${server.id}`;
    return server;
  }
  async function completedBackup(server: { id: string; hostId: string }) {
    const [b] = await t.sql`insert into backups (id, server_id, host_id, status, size_bytes, sha256, completed_at)
      values (gen_random_uuid(), ${server.id}, ${server.hostId}, 'completed', 10, 'ab', now()) returning id`;
    return b!.id as string;
  }
  const clearTasks = (serverId: string) => t.sql`update operations set status = 'succeeded' where server_id = ${serverId}`;

  it("makes one backup of concurrent retries with one key, and refuses the key for another request", async () => {
    const s = await runningServer("idem-host");
    const answers = await Promise.all(Array.from({ length: 8 }, () => t.api("POST", `/v1/servers/${s.id}/backups`, undefined, { "idempotency-key": "nightly-1" })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect((await t.sql`select count(*)::int as n from backups where server_id = ${s.id}`)[0]!.n).toBe(1);
    expect((await t.sql`select count(*)::int as n from operations where server_id = ${s.id} and kind = 'backup'`)[0]!.n).toBe(1);
    // A retry after the backup finished still answers with it (and its status now).
    await clearTasks(s.id);
    await t.sql`update backups set status = 'completed', size_bytes = 10, sha256 = 'ab' where server_id = ${s.id}`;
    const later = await t.api("POST", `/v1/servers/${s.id}/backups`, undefined, { "idempotency-key": "nightly-1" });
    expect(later.status).toBe(202);
    expect(later.body).toMatchObject({ id: answers[0]!.body.id, status: "completed" });
    // The same key for a restore is another request.
    const reused = await t.api("POST", `/v1/servers/${s.id}/backups/${later.body.id}/restore`, undefined, { "idempotency-key": "nightly-1" });
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ error: "idempotency_key_reused", message: expect.stringMatching(/already used/) });
    // Without a key, each POST is a backup of its own.
    expect((await t.api("POST", `/v1/servers/${s.id}/backups`)).status).toBe(202);
    expect((await t.sql`select count(*)::int as n from backups where server_id = ${s.id}`)[0]!.n).toBe(2);
  });

  it("forgets a key once the retention sweep deleted its backup's operation: a retry then takes a new backup, not an error", async () => {
    const s = await runningServer("idem-host");
    const first = await t.api("POST", `/v1/servers/${s.id}/backups`, undefined, { "idempotency-key": "weekly-1" });
    expect(first.status).toBe(202);
    await clearTasks(s.id);
    await t.sql`update backups set status = 'completed', size_bytes = 10, sha256 = 'ab' where server_id = ${s.id}`;
    // A newer backup supersedes it (the newest of a kind is kept), and the keyed one is past the retention.
    expect((await t.api("POST", `/v1/servers/${s.id}/backups`)).status).toBe(202);
    await clearTasks(s.id);
    await t.sql`update operations set updated_at = now() - interval '200 days' where server_id = ${s.id} and params->>'idempotencyKey' = 'weekly-1'`;
    const database = connectDatabase(t.databaseUrl, { max: 1 });
    try {
      expect(await pruneAll(database.db, pruneOperations, 90 * 86_400_000)).toBeGreaterThanOrEqual(1);
    } finally {
      await database.close();
    }
    const retry = await t.api("POST", `/v1/servers/${s.id}/backups`, undefined, { "idempotency-key": "weekly-1" });
    expect(retry.status).toBe(202);
    expect(retry.body.id).not.toBe(first.body.id);
    expect((await t.sql`select count(*)::int as n from backups where server_id = ${s.id}`)[0]!.n).toBe(3);
  });

  it("answers a restore with its operation, once per key however many retries", async () => {
    const s = await runningServer("idem-host");
    const backupId = await completedBackup(s);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.api("POST", `/v1/servers/${s.id}/backups/${backupId}/restore`, undefined, { "idempotency-key": "undo-1" })));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(202));
    const op = answers[0]!.body;
    expect(op).toEqual({ id: expect.any(String), kind: "restore", status: "queued", serverId: s.id, backupId });
    expect(answers.every((a) => a.body.id === op.id)).toBe(true);
    const rows = await t.sql`select id, params->>'backupId' as backup_id from operations where server_id = ${s.id} and kind = 'restore'`;
    expect(rows).toEqual([{ id: op.id, backup_id: backupId }]);
    // Another backup under the same key is another request.
    const other = await completedBackup(s);
    expect((await t.api("POST", `/v1/servers/${s.id}/backups/${other}/restore`, undefined, { "idempotency-key": "undo-1" })).status).toBe(422);
  });

  it("restores another server's backup of the same customer, on the same host or (fetched) on another, and refuses other customers", async () => {
    const source = await runningServer("idem-host", { customerId: "cust-shared" });
    const target = await runningServer("idem-host", { customerId: "cust-shared" });
    const backupId = await completedBackup(source);
    const res = await t.api("POST", `/v1/servers/${target.id}/restore`, { backupId });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: "restore", serverId: target.id, backupId });
    const [op] = await t.sql`select params from operations where id = ${res.body.id}`;
    expect(op!.params).toMatchObject({ backupId, sourceServerId: source.id, sha256: "ab" });

    // A panel token of another customer's server: the backup is not found. (The admin token is checked below.)
    const stranger = await runningServer("idem-host", { customerId: "cust-other" });
    const created = await t.api("POST", "/v1/api-tokens", { client: "panel-a", scope: "panel" });
    expect(created.status).toBe(201);
    const panel = apiClient(t.plane.url, created.body.token);
    const refused = await panel("POST", `/v1/servers/${stranger.id}/restore`, { backupId });
    expect(refused.status).toBe(404);
    expect(refused.body.error).toBe("backup_not_found");
    const byAdmin = await t.api("POST", `/v1/servers/${stranger.id}/restore`, { backupId });
    expect(byAdmin.status).toBe(202);

    // A server on another host: queued, its agent told to fetch the archive (of the recorded size) through the relay.
    await enrollHost(t.api, "far-host");
    const far = await runningServer("far-host", { customerId: "cust-shared" });
    await t.sql`update servers set host_id = (select id from hosts where name = 'far-host') where id = ${far.id}`;
    const across = await t.api("POST", `/v1/servers/${far.id}/restore`, { backupId });
    expect(across.status).toBe(202);
    const [queued] = await t.sql`select params from operations where id = ${across.body.id} and server_id = ${far.id} and kind = 'restore'`;
    const [recorded] = await t.sql`select size_bytes::int as size from backups where id = ${backupId}`;
    expect(queued!.params).toMatchObject({ backupId, sourceServerId: source.id, fetch: true, sizeBytes: recorded!.size });
    // The same host's restore carries no fetch.
    const [near] = await t.sql`select params from operations where id = ${byAdmin.body.id}`;
    expect(near!.params.fetch).toBeUndefined();

    // An unknown or incomplete backup.
    expect((await t.api("POST", `/v1/servers/${target.id}/restore`, { backupId: "00000000-0000-0000-0000-000000000000" })).body.error).toBe("backup_not_found");
    expect((await t.api("POST", `/v1/servers/${target.id}/restore`, {})).status).toBe(400);
  });

  it("caps the downloads open at once per server, counted in the database, and removes their rows", async () => {
    const s = await runningServer("idem-host");
    const backupId = await completedBackup(s);
    const download = () => t.api("GET", `/v1/servers/${s.id}/backups/${backupId}/download`);
    // No agent answers: the first two wait for their first chunk (and time out), the third is over the cap.
    const waiting = [download(), download()];
    await waitForRows(s.id, 2);
    const third = await download();
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ error: "too_many_streams", message: expect.stringMatching(/at most 2/) });
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual([504, 504]);
    expect((await t.sql`select count(*)::int as n from operations where server_id = ${s.id} and kind = 'backup_read'`)[0]!.n).toBe(0);
  });

  async function waitForRows(serverId: string, n: number) {
    for (let i = 0; i < 200; i++) {
      const [row] = await t.sql`select count(*)::int as n from operations where server_id = ${serverId} and kind = 'backup_read'`;
      if (row!.n >= n) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`fewer than ${n} download rows`);
  }
});
