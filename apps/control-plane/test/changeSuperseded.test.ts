import { beforeAll, describe, expect, it } from "vitest";
import { fixtureManifest } from "@zlh/testing";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * A change overtaken by a newer request before it was applied ends `failed`,
 * its settings and the host's allocation restored: otherwise it stayed
 * `resolving`/`applying` forever (seen in chaos: a server deleted mid-change)
 * and the database described files the host never got.
 */
describe("a change overtaken by a newer request", () => {
  let t: Plane;
  let hostId: string;
  beforeAll(async () => {
    // No worker: the change's resolution never runs, so the next request always overtakes it.
    t = await startTestPlane({}, { runWorker: false });
    hostId = (await enrollHost(t.api, "supersede-host", { memoryMiB: 8192, cpuCores: 8, diskGiB: 100 })).id;
  });

  async function runningServer(key: string) {
    const created = await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": key });
    const manifest = await fixtureManifest();
    await t.sql`update servers set status = 'running', manifest = ${t.sql.json(manifest as never)} where id = ${created.body.id}`;
    return created.body as { id: string; memoryMiB: number };
  }

  async function lastChange(id: string) {
    const history = await t.api("GET", `/v1/servers/${id}/changes?limit=1`);
    expect(history.status).toBe(200);
    return history.body.items[0];
  }

  for (const [action, method, path] of [["stop", "POST", "stop"], ["delete", "DELETE", ""]] as const) {
    it(`ends failed and restores the settings when a ${action} comes first`, async () => {
      const server = await runningServer(`supersede-${action}`);
      const changed = await t.api("PATCH", `/v1/servers/${server.id}`, { mods: [{ project: "lithium" }], memoryMiB: 2048 }, { "idempotency-key": `change-${action}` });
      expect(changed.body.change).toMatchObject({ status: "resolving" });
      const [allocated] = await t.sql`select allocated_memory_mib from hosts where id = ${hostId}`;
      await t.api(method, `/v1/servers/${server.id}${path ? `/${path}` : ""}`);
      const after = (await t.api("GET", `/v1/servers/${server.id}`)).body;
      // The ended change leaves the server and is kept in its history.
      expect(after.change).toBeNull();
      expect(await lastChange(server.id)).toMatchObject({ status: "failed", reason: expect.stringContaining("superseded"), endedAt: expect.any(String) });
      expect(after).toMatchObject({ memoryMiB: 1024, mods: [] });
      const [now] = await t.sql`select allocated_memory_mib from hosts where id = ${hostId}`;
      expect(now!.allocated_memory_mib).toBe(allocated!.allocated_memory_mib - 1024);
    });
  }
  it("keeps the changed resources when the host no longer has room for the old ones, and says why", async () => {
    const server = await runningServer("supersede-overfill");
    const changed = await t.api("PATCH", `/v1/servers/${server.id}`, { mods: [{ project: "lithium" }], memoryMiB: 512 }, { "idempotency-key": "change-overfill" });
    expect(changed.body.change).toMatchObject({ status: "resolving" });
    // The memory the shrink freed is given to another server: the host is full.
    await t.sql`update hosts set allocated_memory_mib = memory_mib where id = ${hostId}`;
    const stopped = await t.api("POST", `/v1/servers/${server.id}/stop`);
    expect(stopped.status).toBe(202);
    const after = (await t.api("GET", `/v1/servers/${server.id}`)).body;
    expect(after.change).toBeNull();
    expect(await lastChange(server.id)).toMatchObject({ status: "failed", reason: expect.stringContaining("no longer has room") });
    expect(after).toMatchObject({ memoryMiB: 512, mods: [] });
    const [host] = await t.sql`select allocated_memory_mib, memory_mib from hosts where id = ${hostId}`;
    expect(host!.allocated_memory_mib).toBe(host!.memory_mib);
    const [event] = await t.sql`select data from events where server_id = ${server.id} and type = 'server.change_resources_kept'`;
    expect(event!.data).toMatchObject({ kept: { memoryMiB: 512, cpuCores: 1 }, previous: { memoryMiB: 1024, cpuCores: 1 } });
    // Nothing is stuck: a delete goes through.
    expect((await t.api("DELETE", `/v1/servers/${server.id}`)).status).toBe(202);
  });
});
