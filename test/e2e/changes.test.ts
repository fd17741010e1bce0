import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestHash } from "@zlh/artifacts";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, changeEnded as waitChangeEnded, waitStatus } from "../support/lifecycle";
import { writeAsCustomer } from "../support/customerFiles";

/** Changing a running server: the change applied, or rolled back when the server does not come up with it. */
describe("server changes (PATCH)", () => {
  let c: E2eCluster;
  let n = 0;
  beforeAll(async () => {
    c = await startE2eCluster("changes-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const serverDir = (vmid: number) => join(c.simRoot, String(vmid), "rootfs/srv/minecraft");
  const mods = async (vmid: number) => (await readdir(join(serverDir(vmid), "mods"))).sort();
  const change = (id: string, body: Record<string, unknown>, key = `change-${n++}`) => c.call("PATCH", `/v1/servers/${id}`, body, { "idempotency-key": key });
  const changeEnded = (id: string, generation: number) => waitChangeEnded(c.call, id, generation);

  it("adds a mod and memory: new jars placed, the world kept, the container resized, the server running again", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const before = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    await writeAsCustomer(serverDir(server.vmid), join(serverDir(server.vmid), "world/level.dat"), "the customer's world");

    const asked = await change(server.id, { mods: [{ project: "lithium" }, { project: "chunky" }], memoryMiB: 2048 });
    expect(asked.status).toBe(202);
    expect(asked.body.change).toMatchObject({ status: "resolving", generation: before.generation + 1 });
    const after = await changeEnded(server.id, before.generation + 1);
    expect(after.change).toBeNull();
    expect(after.ended).toMatchObject({ generation: before.generation + 1, status: "applied", reason: null, changes: { memoryMiB: { from: 1024, to: 2048 } }, endedAt: expect.any(String) });
    expect(after.manifests).toMatchObject({ previous: before.manifests.applied, requested: null });
    expect(after.manifests.applied).not.toBe(before.manifests.applied);
    // The hash columns the API shows are the hashes of the manifests stored beside them.
    const [row] = await c.sql`select manifest, previous_manifest, manifest_hash, previous_manifest_hash, requested_manifest_hash from servers where id = ${server.id}`;
    expect([row!.manifest_hash, row!.previous_manifest_hash, row!.requested_manifest_hash]).toEqual([manifestHash(row!.manifest), manifestHash(row!.previous_manifest), null]);
    expect([after.manifests.applied, after.manifests.previous]).toEqual([row!.manifest_hash, row!.previous_manifest_hash]);
    expect(after.memoryMiB).toBe(2048);
    const jars = await mods(server.vmid);
    expect(jars.some((j) => j.startsWith("chunky-"))).toBe(true);
    expect(jars.some((j) => j.startsWith("fabric-api-"))).toBe(true); // chunky's required dependency
    expect(jars.some((j) => j.startsWith("lithium-"))).toBe(true);
    expect(await readFile(join(serverDir(server.vmid), "world/level.dat"), "utf8")).toBe("the customer's world");
    expect(JSON.parse(await readFile(join(c.simRoot, String(server.vmid), "config.json"), "utf8")).memoryMiB).toBe(2048);
    expect(await answersPing(server)).toBe(true);
    const events = (await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; data: Record<string, any> }[];
    const requested = events.find((e) => e.type === "server.change_requested")!;
    expect(Object.keys(requested.data.changes).sort()).toEqual(["memoryMiB", "mods"]);
    expect(requested.data.changes.memoryMiB).toEqual({ from: 1024, to: 2048 });
    expect(events.map((e) => e.type)).toContain("server.change_applied");

    // Removing a mod removes its jar, and only its jar.
    const removal = await change(server.id, { mods: [{ project: "chunky" }] });
    await changeEnded(server.id, removal.body.generation);
    expect((await mods(server.vmid)).some((j) => j.startsWith("lithium-"))).toBe(false);
    expect(await readFile(join(serverDir(server.vmid), "world/level.dat"), "utf8")).toBe("the customer's world");
  });

  it("rolls a change back when the server does not come up with it, and runs as before", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const before = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    const jarsBefore = await mods(server.vmid);
    // Modrinth lists it for Fabric 1.21.1, so it resolves; Fabric Loader refuses to start with it.
    const asked = await change(server.id, { mods: [{ project: "lithium" }, { project: "needs-new-loader" }], memoryMiB: 1536 });
    const after = await changeEnded(server.id, asked.body.generation);
    expect(after.ended.status).toBe("rolled_back");
    // Said at once with why (the loader's refusal recognised), not after the ready timeout.
    expect(after.ended.reason).toMatch(/^the game ended before it answered \(mod_dependency: /);
    expect(after).toMatchObject({ status: "running", mods: [{ project: "lithium" }], memoryMiB: 1024, manifests: { applied: before.manifests.applied, requested: null } });
    expect(await mods(server.vmid)).toEqual(jarsBefore);
    expect(JSON.parse(await readFile(join(c.simRoot, String(server.vmid), "config.json"), "utf8")).memoryMiB).toBe(1024);
    expect(await answersPing(server)).toBe(true);
    expect(await readFile(join(serverDir(server.vmid), "logs/latest.log"), "utf8")).toMatch(/Loading Minecraft/); // the rolled-back start
    const types = ((await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string }[]).map((e) => e.type);
    expect(types).toContain("server.change_rolled_back");
  });

  it("refuses a downgrade without force, a disk shrink, a change while one is in progress, and replays a retried key", async () => {
    const server = await createServer(c.call);
    await waitStatus(c.call, server.id, "running", 30_000);
    const down = await change(server.id, { minecraftVersion: "1.20.4" });
    expect(down.status).toBe(409);
    expect(down.body.error).toBe("downgrade_refused");
    expect((await change(server.id, { diskGiB: 0 })).status).toBe(400);
    const shrink = await c.call("PATCH", `/v1/servers/${server.id}`, { diskGiB: 1, memoryMiB: 4096 }, { "idempotency-key": "shrink" });
    expect(shrink.status).toBe(202); // same disk: allowed
    const same = await c.call("PATCH", `/v1/servers/${server.id}`, { diskGiB: 1, memoryMiB: 4096 }, { "idempotency-key": "shrink" });
    expect(same.body.generation).toBe(shrink.body.generation);
    const reused = await c.call("PATCH", `/v1/servers/${server.id}`, { memoryMiB: 2048 }, { "idempotency-key": "shrink" });
    expect(reused.status).toBe(422);
    expect((await c.call("PATCH", `/v1/servers/${server.id}`, { memoryMiB: 2048 })).body.error).toBe("idempotency_key_missing");
    await changeEnded(server.id, shrink.body.generation);
    const bigger = await change(server.id, { diskGiB: 3 });
    await changeEnded(server.id, bigger.body.generation);
    expect((await change(server.id, { diskGiB: 2 })).body.error).toBe("disk_shrink_refused");
    expect(JSON.parse(await readFile(join(c.simRoot, String(server.vmid), "config.json"), "utf8")).diskGiB).toBe(3);
  });
});
