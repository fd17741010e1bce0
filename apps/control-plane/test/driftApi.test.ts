import { describe, expect, it } from "vitest";
import { connectDatabase, recordDriftPass } from "@zlh/db";
import { enrollHost, startTestPlane } from "./harness";

describe("the drift list", () => {
  it("pages open items with ids, hides acknowledged ones by default, and reports a resolved one in the feed", async () => {
    const t = await startTestPlane({}, { runWorker: false });
    const host = await enrollHost(t.api, "drift-host");
    for (let vmid = 7000; vmid < 7005; vmid++) {
      await t.sql`insert into drift_items (kind, host_id, vmid, detail) values ('unmanaged_container', ${host.id}, ${vmid}, '{}'::jsonb)`;
    }
    const seen: { id: string; vmid: number; acknowledged: unknown }[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: typeof seen; nextCursor: string | null } } = await t.api("GET", `/v1/drift?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((d) => d.vmid)).toEqual([7000, 7001, 7002, 7003, 7004]);
    expect(seen.every((d) => /^[0-9]+$/.test(d.id) && d.acknowledged === null)).toBe(true);

    const acked = await t.api("POST", `/v1/drift/${seen[1]!.id}/acknowledge`);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ id: seen[1]!.id, acknowledged: { at: expect.any(String), by: t.config.apiClients[0]!.name } });
    const again = await t.api("POST", `/v1/drift/${seen[1]!.id}/acknowledge`);
    expect(again.body.acknowledged).toEqual(acked.body.acknowledged);
    expect((await t.api("GET", "/v1/drift")).body.items.map((d: { vmid: number }) => d.vmid)).toEqual([7000, 7002, 7003, 7004]);
    expect((await t.api("GET", "/v1/drift?include=acknowledged")).body.items.map((d: { vmid: number }) => d.vmid)).toEqual([7000, 7001, 7002, 7003, 7004]);
    for (const bad of ["999999", "abc"]) expect((await t.api("POST", `/v1/drift/${bad}/acknowledge`)).body.error).toBe("drift_not_found");
    for (const q of ["limit=0", "cursor=zzz", "include=all"]) expect((await t.api("GET", `/v1/drift?${q}`)).status, q).toBe(400);

    // A pass that no longer sees them resolves them, each with drift.resolved; acknowledging one then is a 404.
    const database = connectDatabase(t.databaseUrl, { max: 1 });
    try {
      await recordDriftPass(database.db, host.id, []);
    } finally {
      await database.close();
    }
    const feed = (await t.api("GET", "/v1/events?limit=1000")).body.items as { type: string; hostId: string; data: Record<string, unknown> }[];
    const resolved = feed.filter((e) => e.type === "drift.resolved");
    expect(resolved.map((e) => e.data.vmid).sort()).toEqual([7000, 7001, 7002, 7003, 7004]);
    expect(resolved.every((e) => e.hostId === host.id)).toBe(true);
    expect(feed.filter((e) => e.type === "drift.acknowledged").map((e) => e.data.driftId)).toEqual([seen[1]!.id]);
    expect((await t.api("GET", "/v1/drift?include=acknowledged")).body.items).toEqual([]);
    expect((await t.api("POST", `/v1/drift/${seen[0]!.id}/acknowledge`)).status).toBe(404);
  });
});
