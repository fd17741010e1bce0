import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMrpack, mirroredPackFile, MIRRORED_MODS } from "@zlh/testing";
import { createServer, eventTypes } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

/**
 * A pack's overrides through the API on the sim (docs/modpacks.md#overrides):
 * the customer's edits of the world and a config the pack seeded survive a
 * reinstall and a settings change, and the operation's result lists them.
 */
describe("a pack's overrides edited by the customer", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("pack-overrides-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const serverDir = (vmid: number) => join(c.simRoot, String(vmid), "rootfs/srv/minecraft");

  it("keep their bytes through POST reinstall {} and a serverProperties change", async () => {
    const spec = {
      name: "Seeded Pack",
      versionId: "1.0.0",
      files: [await mirroredPackFile("mods/fabric-api.jar", MIRRORED_MODS.fabricApi)],
      overrides: { "world/level.dat": "the pack's world", "config/foo.toml": "foo = 1\n" },
    };
    const up = await c.call("POST", "/v1/modpacks?customerId=e2e", buildMrpack(spec), { "content-type": "application/x-modrinth-modpack+zip" });
    expect(up.status).toBe(201);
    const server = await createServer(c.call, { minecraftVersion: undefined, modpack: { upload: up.body.sha512 } });
    await waitStatus(c.call, server.id, "running", 40_000);
    const dir = serverDir(server.vmid);
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("the pack's world");
    await writeAsCustomer(dir, join(dir, "world/level.dat"), "MY PRECIOUS WORLD");
    await writeAsCustomer(dir, join(dir, "config/foo.toml"), "foo = 42\n");

    expect((await c.call("POST", `/v1/servers/${server.id}/reinstall`, {})).status).toBe(202);
    await waitFor(async () => (await eventTypes(c.call, server.id)).filter((t) => t === "server.running").length === 2, 30_000, "running again");
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD");
    expect(await readFile(join(dir, "config/foo.toml"), "utf8")).toBe("foo = 42\n");
    const [reinstall] = await c.sql`select result from operations where server_id = ${server.id} and kind = 'provision' and status = 'succeeded' order by created_at desc limit 1`;
    expect(reinstall!.result).toMatchObject({ filesPreserved: 2, preserved: expect.arrayContaining(["world/level.dat", "config/foo.toml"]) });

    const asked = await c.call("PATCH", `/v1/servers/${server.id}`, { serverProperties: { motd: "changed" } }, { "idempotency-key": "seeded-motd" });
    expect(asked.status).toBe(202);
    await waitFor(async () => {
      const s = (await c.call("GET", `/v1/servers/${server.id}`)).body;
      return s.change === null && s.status === "running" && s.generation === asked.body.generation;
    }, 60_000, "the change applied");
    expect(await readFile(join(dir, "server.properties"), "utf8")).toContain("motd=changed\n");
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD");
    expect(await readFile(join(dir, "config/foo.toml"), "utf8")).toBe("foo = 42\n");
    expect(await answersPing(server)).toBe(true);
  });
});
