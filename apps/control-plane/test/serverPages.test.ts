import { beforeAll, describe, expect, it } from "vitest";
import { fixtureManifest } from "@zlh/testing";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * A server's backups and its change history, newest first, a page at a time
 * (`{ items, nextCursor }` like the other lists); a change that has ended
 * leaves the server (`change: null`) and is found in the history.
 */
describe("a server's paged lists: backups and changes", () => {
  let t: Plane;
  let n = 0;
  beforeAll(async () => {
    // No worker and no agent: a change stays in progress until a newer request overtakes it.
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "pages-host", { memoryMiB: 16384, cpuCores: 16, diskGiB: 200 });
  });

  async function runningServer() {
    const created = await t.api("POST", "/v1/servers", serverBody(++n), { "idempotency-key": `pages-${n}` });
    await t.sql`update servers set status = 'running', manifest = ${t.sql.json((await fixtureManifest()) as never)} where id = ${created.body.id}`;
    return created.body as { id: string; hostId: string };
  }

  async function allPages(path: string, limit: number) {
    const pages: { id?: string; generation?: number }[][] = [];
    let cursor: string | null = null;
    do {
      const res = await t.api("GET", `${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      pages.push(res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 20);
    return pages;
  }

  it("pages backups newest first, ties in creation time included, without repeating or skipping one", async () => {
    const s = await runningServer();
    // Five backups, three created in the same microsecond: the cursor must order ties by id.
    await t.sql`insert into backups (id, server_id, host_id, status, created_at)
      select gen_random_uuid(), ${s.id}, ${s.hostId}, 'pending', now() - make_interval(mins => least(g, 3)) from generate_series(1, 5) g`;
    await t.sql`insert into backups (id, server_id, host_id, status, deleted_at) values (gen_random_uuid(), ${s.id}, ${s.hostId}, 'pending', now())`;
    const expected = (await t.sql`select id from backups where server_id = ${s.id} and deleted_at is null order by created_at desc, id desc`).map((r) => r.id);
    const pages = await allPages(`/v1/servers/${s.id}/backups`, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((b) => b.id)).toEqual(expected);
    // One page holds them all: no cursor to follow.
    const whole = await t.api("GET", `/v1/servers/${s.id}/backups`);
    expect(whole.body.nextCursor).toBeNull();
    expect(whole.body.items).toHaveLength(5);
  });

  it("refuses a bad limit or cursor with a clear 400", async () => {
    const s = await runningServer();
    for (const path of ["backups", "changes"]) {
      const zero = await t.api("GET", `/v1/servers/${s.id}/${path}?limit=0`);
      expect(zero.status).toBe(400);
      expect(zero.body).toMatchObject({ error: "invalid_request", message: expect.stringContaining("limit") });
      const bad = await t.api("GET", `/v1/servers/${s.id}/${path}?cursor=nonsense`);
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe("invalid_cursor");
    }
    expect((await t.api("GET", "/v1/servers/00000000-0000-4000-8000-000000000000/changes")).status).toBe(404);
  });

  it("shows only a change in progress on the server and keeps every change, ended or not, in the history", async () => {
    const s = await runningServer();
    const generations: number[] = [];
    for (const [i, intent] of (["stop", "start", "stop"] as const).entries()) {
      const asked = await t.api("PATCH", `/v1/servers/${s.id}`, { memoryMiB: 1024 + 256 * (i + 1) }, { "idempotency-key": `pages-change-${i}` });
      expect(asked.status).toBe(202);
      expect(asked.body.change).toEqual({ generation: asked.body.generation, status: "applying", reason: null });
      generations.push(asked.body.generation);
      // A newer request overtakes it: it ends failed and leaves the server.
      expect((await t.api("POST", `/v1/servers/${s.id}/${intent}`)).status).toBe(202);
      expect((await t.api("GET", `/v1/servers/${s.id}`)).body.change).toBeNull();
    }
    const last = await t.api("PATCH", `/v1/servers/${s.id}`, { memoryMiB: 2048 }, { "idempotency-key": "pages-change-last" });
    generations.push(last.body.generation);

    const pages = await allPages(`/v1/servers/${s.id}/changes`, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 1]);
    const items = pages.flat() as { generation: number; status: string; reason: string | null; changes: unknown; requestedAt: string; endedAt: string | null }[];
    expect(items.map((c) => c.generation)).toEqual([...generations].reverse());
    expect(items[0]).toEqual({ generation: last.body.generation, status: "applying", reason: null, changes: { memoryMiB: { from: 1024, to: 2048 } }, requestedAt: expect.any(String), endedAt: null });
    for (const ended of items.slice(1)) {
      expect(ended).toMatchObject({ status: "failed", reason: expect.stringContaining("superseded"), endedAt: expect.any(String) });
      expect(Date.parse(ended.endedAt!)).toBeGreaterThanOrEqual(Date.parse(ended.requestedAt));
    }
    expect(items[3]!.changes).toEqual({ memoryMiB: { from: 1024, to: 1280 } });
  });
});
