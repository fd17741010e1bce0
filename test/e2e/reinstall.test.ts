import { createHash } from "node:crypto";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, eventTypes } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

/** Reinstall: the current manifest placed again from scratch, the world kept unless wiped. */
describe("reinstall", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("reinstall-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const serverDir = (vmid: number) => join(c.simRoot, String(vmid), "rootfs/srv/minecraft");
  const pidOf = async (vmid: number) => Number(await readFile(join(c.simRoot, String(vmid), "pid"), "utf8"));

  it("repairs a server broken by hand and keeps its world; with wipe, starts fresh", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const dir = serverDir(server.vmid);
    await writeAsCustomer(dir, join(dir, "world/marker.txt"), "the customer's world");
    // Broken by hand: the launcher and a mod gone, a library corrupted. It runs on (already loaded) but would not start again.
    await rm(join(dir, "fabric-server-launch.jar"));
    const mod = (await readFile(join(dir, ".zlh/manifest.json"), "utf8")).match(/"path": "(mods\/[^"]+)"/)![1]!;
    await rm(join(dir, mod));
    const pidBefore = await pidOf(server.vmid);

    const asked = await c.call("POST", `/v1/servers/${server.id}/reinstall`);
    expect(asked.status).toBe(202);
    await waitFor(async () => (await eventTypes(c.call, server.id)).filter((t) => t === "server.running").length === 2, 30_000, "running again");
    await waitStatus(c.call, server.id, "running");
    expect(await pidOf(server.vmid)).not.toBe(pidBefore);
    // Placed again, byte for byte what the manifest pins.
    expect(await placedAsPinned(dir, "fabric-server-launch.jar")).toBe(true);
    expect(await placedAsPinned(dir, mod)).toBe(true);
    expect(await readFile(join(dir, "world/marker.txt"), "utf8")).toBe("the customer's world");
    expect(await answersPing(server)).toBe(true);
    const intents = (await c.call("GET", `/v1/servers/${server.id}/events`)).body.items.filter((e: { type: string }) => e.type === "server.intent");
    expect(intents.at(-1).data).toMatchObject({ action: "reinstall", wipe: false });

    expect((await c.call("POST", `/v1/servers/${server.id}/reinstall`, { wipe: true })).status).toBe(202);
    await waitFor(async () => (await eventTypes(c.call, server.id)).filter((t) => t === "server.running").length === 3, 30_000, "running after the wipe");
    await expect(stat(join(dir, "world/marker.txt"))).rejects.toThrow();
    expect(await placedAsPinned(dir, "fabric-server-launch.jar")).toBe(true);
    expect(await answersPing(server)).toBe(true);
  });

  it("refuses a bad body and a deleted server", async () => {
    const server = await createServer(c.call);
    expect((await c.call("POST", `/v1/servers/${server.id}/reinstall`, { wipe: "yes" })).status).toBe(400);
    await c.call("DELETE", `/v1/servers/${server.id}`);
    await waitStatus(c.call, server.id, "deleted", 30_000);
    expect((await c.call("POST", `/v1/servers/${server.id}/reinstall`)).body.error).toBe("invalid_transition");
  });
});

/** Whether the file at `path` holds the sha512 its entry in the placement record (`.zlh/manifest.json`) pins. */
async function placedAsPinned(dir: string, path: string): Promise<boolean> {
  const record = JSON.parse(await readFile(join(dir, ".zlh/manifest.json"), "utf8")) as { files: { path: string; sha512: string }[] };
  const entry = record.files.find((f) => f.path === path);
  if (!entry) throw new Error(`${path} is not in the placement record`);
  return createHash("sha512").update(await readFile(join(dir, path))).digest("hex") === entry.sha512;
}
