import { beforeAll, describe, expect, it } from "vitest";
import { fixtureManifest } from "@zlh/testing";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

describe("PATCH mods", () => {
  let t: Plane;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    await enrollHost(t.api, "mods-host", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 });
  });

  async function runningServer(key: string, mods: unknown[]) {
    const created = await t.api("POST", "/v1/servers", serverBody(1, { mods }), { "idempotency-key": key });
    expect(created.status).toBe(202);
    await t.sql`update servers set status = 'running', manifest = ${t.sql.json((await fixtureManifest()) as never)} where id = ${created.body.id}`;
    return created.body.id as string;
  }
  const patch = (id: string, mods: unknown, key: string) => t.api("PATCH", `/v1/servers/${id}`, { mods }, { "idempotency-key": key });

  it("refuses a bad edit with 400 and writes nothing", async () => {
    const id = await runningServer("mods-bad", [{ project: "fabric-api" }, { project: "lithium" }]);
    const bad: [unknown, RegExp | null][] = [
      [{ remove: ["sodium"] }, /sodium is not one of the server's mods/],
      [{ add: [{ project: "sodium" }, { project: "sodium" }] }, /same project twice/],
      [{ remove: ["lithium", "lithium"] }, /same project twice/],
      [{ add: [{ project: "lithium" }], remove: ["lithium"] }, /both added and removed/],
      [{ add: Array.from({ length: 99 }, (_, i) => ({ project: `mod-${i}` })) }, /at most 100 mods; this edit leaves 101/],
      [{}, null],
      [{ replace: [] }, null],
    ];
    for (const [mods, message] of bad) {
      const res = await patch(id, mods, `mods-bad-${JSON.stringify(mods).length}`);
      expect(res.status, JSON.stringify(mods)).toBe(400);
      if (message) expect(res.body.message).toMatch(message);
    }
    const [row] = await t.sql`select mods, generation, change_status from servers where id = ${id}`;
    expect(row).toEqual({ mods: [{ project: "fabric-api" }, { project: "lithium" }], generation: 1, change_status: null });
    const [{ changes }] = await t.sql`select count(*)::int as changes from server_changes where server_id = ${id}`;
    expect(changes).toBe(0);
  });

  it("removes, replaces in place and adds with { add, remove }", async () => {
    const id = await runningServer("mods-edit", [{ project: "fabric-api" }, { project: "lithium" }, { project: "ferrite-core" }]);
    const res = await patch(id, { remove: ["lithium"], add: [{ project: "sodium" }, { project: "fabric-api", version: "0.102.0+1.21.1" }] }, "mods-edit-1");
    expect(res.status).toBe(202);
    expect(res.body.mods).toEqual([{ project: "fabric-api", version: "0.102.0+1.21.1" }, { project: "ferrite-core" }, { project: "sodium" }]);
    expect(res.body.change).toMatchObject({ status: "resolving" });
  });

  it("still replaces the list when given one", async () => {
    const id = await runningServer("mods-list", [{ project: "fabric-api" }, { project: "lithium" }]);
    const res = await patch(id, [{ project: "sodium" }], "mods-list-1");
    expect(res.status).toBe(202);
    expect(res.body.mods).toEqual([{ project: "sodium" }]);
  });
});
