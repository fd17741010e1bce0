import { access, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMrpack, mirroredPackFile, MIRRORED_MODS, type PackSpec } from "@zlh/testing";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { answersPing, waitStatus } from "../support/lifecycle";
import { waitFor } from "../support/processes";
import { writeAsCustomer } from "../support/customerFiles";

/**
 * A Modrinth modpack end to end on the sim: packs built to the .mrpack
 * format, uploaded, a server created from one (its files downloaded from the
 * offline mirror, overrides and server-overrides placed from the pack by the
 * agent, client-only files skipped), updated to a pack that does not start
 * (rolled back, its refused start recorded as the server's last crash) and
 * to one that does (applied).
 */
describe("modpacks on the sim", () => {
  let c: E2eCluster;
  beforeAll(async () => {
    c = await startE2eCluster("modpacks-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const serverDir = (vmid: number) => join(c.simRoot, String(vmid), "rootfs/srv/minecraft");
  const exists = (path: string) => access(path).then(() => true, () => false);
  const pack = async (version: string, extra: Partial<PackSpec> = {}): Promise<string> => {
    const spec: PackSpec = {
      name: "E2E Pack",
      versionId: version,
      files: [
        await mirroredPackFile("mods/lithium.jar", MIRRORED_MODS.lithium),
        await mirroredPackFile("mods/fabric-api.jar", MIRRORED_MODS.fabricApi, { client: "required", server: "required" }),
        await mirroredPackFile("mods/sodium.jar", MIRRORED_MODS.sodium, { client: "required", server: "unsupported" }),
        ...(extra.files ?? []),
      ],
      overrides: { "config/pack.toml": `version = "${version}"\n`, "config/both.toml": "from overrides\n", ...extra.overrides },
      serverOverrides: { "config/both.toml": "from server-overrides\n" },
      clientOverrides: { "options.txt": "fov:90\n", "config/client-only.toml": "x\n" },
    };
    const r = await c.call("POST", "/v1/modpacks?customerId=e2e", buildMrpack(spec), { "content-type": "application/x-modrinth-modpack+zip" });
    if (r.status !== 201) throw new Error(`upload: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.sha512 as string;
  };
  const changeEnded = (id: string, generation: number) =>
    waitFor(async () => {
      const s = (await c.call("GET", `/v1/servers/${id}`)).body;
      if (s.change !== null || s.status !== "running") return null;
      const ended = ((await c.call("GET", `/v1/servers/${id}/changes`)).body.items as { generation: number; status: string; reason: string | null }[]).find((h) => h.generation === generation);
      return ended && ["applied", "rolled_back", "failed"].includes(ended.status) ? { ...s, ended } : null;
    }, 60_000, `change ${generation} ended`);

  it("runs a pack, rolls a pack update that does not start back, and applies one that does", async () => {
    const v1 = await pack("1.0.0");
    const server = await createServer(c.call, { minecraftVersion: undefined, modpack: { upload: v1 } });
    await waitStatus(c.call, server.id, "running", 40_000);
    const dir = serverDir(server.vmid);
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["fabric-api.jar", "lithium.jar"]); // sodium is client-only
    expect(await readFile(join(dir, "mods/lithium.jar"))).toEqual(Buffer.from((await mirroredPackFile("x", MIRRORED_MODS.lithium)).bytes));
    expect(await readFile(join(dir, "config/pack.toml"), "utf8")).toBe('version = "1.0.0"\n');
    expect(await readFile(join(dir, "config/both.toml"), "utf8")).toBe("from server-overrides\n");
    expect(await exists(join(dir, "options.txt"))).toBe(false);
    expect(await exists(join(dir, "config/client-only.toml"))).toBe(false);
    expect(await answersPing(server)).toBe(true);
    const running = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    expect(running).toMatchObject({ minecraftVersion: "1.21.1", loaderVersion: "0.16.5", modpack: { source: "upload", name: "E2E Pack", version: "1.0.0", sha512: v1 } });
    await writeAsCustomer(dir, join(dir, "world/level.dat"), "the customer's world");

    // 1.1.0 adds a mod Fabric Loader refuses to start with: the update is rolled back to 1.0.0.
    const broken = await pack("1.1.0", { files: [await mirroredPackFile("mods/needs-new-loader.jar", MIRRORED_MODS.needsNewLoader)] });
    const asked = await c.call("PATCH", `/v1/servers/${server.id}`, { modpack: { upload: broken } }, { "idempotency-key": "pack-update-broken" });
    expect(asked.status).toBe(202);
    expect(asked.body.modpack).toMatchObject({ version: "1.1.0" }); // what it asks for, during the change
    const rolled = await changeEnded(server.id, asked.body.generation);
    expect(rolled.ended.status).toBe("rolled_back");
    expect(rolled.ended.reason).toMatch(/^the game ended before it answered \(mod_dependency: /);
    expect(rolled).toMatchObject({ status: "running", modpack: { version: "1.0.0", sha512: v1 }, manifests: { applied: running.manifests.applied } });
    // The customer sees why: the refused start's crash is the server's last crash, kept through the rollback's restart.
    expect(rolled.lastCrash).toMatchObject({ reason: "game_exited", cause: "mod_dependency", summary: "Incompatible mods found!", evidence: { stderr: expect.arrayContaining(["Incompatible mods found!"]) } });
    const events = (await c.call("GET", `/v1/servers/${server.id}/events`)).body.items as { type: string; data: Record<string, unknown> }[];
    expect(events.filter((e) => e.type === "server.crashed").map((e) => e.data)).toEqual([expect.objectContaining({ source: "provision", change: true, rolledBack: true, cause: "mod_dependency" })]);
    expect(events.some((e) => e.type === "server.self_heal")).toBe(false);
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["fabric-api.jar", "lithium.jar"]);
    expect(await readFile(join(dir, "config/pack.toml"), "utf8")).toBe('version = "1.0.0"\n');
    expect(await answersPing(server)).toBe(true);

    // 2.0.0 drops fabric-api and adds a config: applied, the world kept.
    const v2 = await pack("2.0.0", { overrides: { "config/new.toml": "new = true\n" } });
    const update = await c.call("PATCH", `/v1/servers/${server.id}`, { modpack: { upload: v2 } }, { "idempotency-key": "pack-update-good" });
    const applied = await changeEnded(server.id, update.body.generation);
    expect(applied.ended.status).toBe("applied");
    expect(applied.modpack).toMatchObject({ version: "2.0.0", sha512: v2 });
    expect(await readFile(join(dir, "config/pack.toml"), "utf8")).toBe('version = "2.0.0"\n');
    expect(await readFile(join(dir, "config/new.toml"), "utf8")).toBe("new = true\n");
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("the customer's world");
    expect(await answersPing(server)).toBe(true);
  });

  it("changes a server without a pack to one, and refuses bad pack changes with nothing changed", async () => {
    const server = await createServer(c.call, { mods: [{ project: "chunky" }] });
    await waitStatus(c.call, server.id, "running", 40_000);
    const dir = serverDir(server.vmid);
    const before = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    const refused = async (body: Record<string, unknown>, status: number, error: string) => {
      const r = await c.call("PATCH", `/v1/servers/${server.id}`, body, { "idempotency-key": `refused-${Math.random()}` });
      expect({ status: r.status, error: r.body.error }).toEqual({ status, error });
    };
    await refused({ modpack: { upload: "f".repeat(128) } }, 404, "modpack_not_found");
    await refused({ modpack: { upload: await pack("3.0.0") }, mods: [] }, 400, "invalid_request");
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ generation: before.generation, modpack: null, change: null });

    const v3 = await pack("3.0.0");
    const asked = await c.call("PATCH", `/v1/servers/${server.id}`, { modpack: { upload: v3 } }, { "idempotency-key": "to-pack" });
    expect(asked.status).toBe(202);
    const applied = await changeEnded(server.id, asked.body.generation);
    expect(applied).toMatchObject({ ended: { status: "applied" }, mods: [], loaderVersion: "0.16.5", modpack: { version: "3.0.0", sha512: v3 } });
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["fabric-api.jar", "lithium.jar"]); // chunky's jars gone: the pack's mods only
    expect(await readFile(join(dir, "config/pack.toml"), "utf8")).toBe('version = "3.0.0"\n');
    await refused({ mods: [{ project: "chunky" }] }, 400, "invalid_request"); // a pack server's mods are the pack's
  });

  it("runs a pack from Modrinth by project: the .mrpack downloaded by the agent through its cache, overrides extracted from it", async () => {
    const server = await createServer(c.call, { minecraftVersion: undefined, modpack: { project: "zlh-offline-pack" } });
    await waitStatus(c.call, server.id, "running", 40_000);
    const dir = serverDir(server.vmid);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body.modpack).toMatchObject({ source: "modrinth", projectId: "ZlhPack1", versionId: "zlhPk100", version: "1.0.0" });
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["fabric-api.jar", "lithium.jar"]);
    expect(await readFile(join(dir, "config/zlh-pack.toml"), "utf8")).toBe('pack = "1.0.0"\n');
    expect(await readFile(join(dir, "config/zlh-server.toml"), "utf8")).toBe("server = true\n");
    expect(await exists(join(dir, "options.txt"))).toBe(false);
    expect(await answersPing(server)).toBe(true);
  });
});
