import { access, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { status as mcStatus } from "minecraft-server-util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simAddress } from "@zlh/agent";
import {
  FABRIC_LAUNCHER_JAR,
  fabricLaunchDecision,
  PAPER_SERVER_JAR,
  paperclipLaunchDecision,
  PURPUR_SERVER_JAR,
  QUILT_LAUNCHER_JAR,
  quiltLaunchDecision,
  VANILLA_SERVER_JAR,
  vanillaLaunchDecision,
} from "@zlh/artifacts";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { writeAsCustomer } from "../support/customerFiles";
import { answersPing, changeEnded as waitChangeEnded, waitStatus } from "../support/lifecycle";

const exists = (p: string) => access(p).then(() => true, () => false);

/** Server types besides Fabric (Quilt among them), to `running` on the sim through a real agent; a type change is a change with rollback. */
describe("server types", () => {
  let c: E2eCluster;
  let n = 0;
  beforeAll(async () => {
    c = await startE2eCluster("types-host");
    c.startAgent();
  });
  afterAll(() => c?.close());

  const serverDir = (vmid: number) => join(c.simRoot, String(vmid), "rootfs/srv/minecraft");
  const change = (id: string, body: Record<string, unknown>) => c.call("PATCH", `/v1/servers/${id}`, body, { "idempotency-key": `type-change-${n++}` });
  const create = (body: Record<string, unknown>) =>
    c.call("POST", "/v1/servers", { customerId: "e2e", name: `types-${n}`, minecraftVersion: "1.21.1", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, ...body }, { "idempotency-key": `type-create-${n++}` });
  const changeEnded = (id: string, generation: number) => waitChangeEnded(c.call, id, generation);

  it("provisions a vanilla server to running: Mojang's jar at server.jar, nothing of Fabric's, the JVM's check passes", async () => {
    const server = await createServer(c.call, { type: "vanilla", serverProperties: { motd: "plain vanilla" } });
    await waitStatus(c.call, server.id, "running", 30_000);
    const shown = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    expect(shown).toMatchObject({ type: "vanilla", loaderVersion: null, mods: [] });
    const seen = await mcStatus(simAddress(server.vmid), server.ports.game, { timeout: 3000, enableSRV: false });
    expect([seen.version.name, seen.motd.clean]).toEqual(["1.21.1", "plain vanilla"]);
    const dir = serverDir(server.vmid);
    expect(await vanillaLaunchDecision(dir)).toMatchObject({ launches: true, jar: VANILLA_SERVER_JAR });
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    expect(await exists(join(dir, ".fabric"))).toBe(false);
    const [row] = await c.sql`select server_type, manifest from servers where id = ${server.id}`;
    expect(row!.server_type).toBe("vanilla");
    expect(row!.manifest).toMatchObject({ type: "vanilla", launch: { jar: VANILLA_SERVER_JAR } });
  });

  it("provisions a Paper server to running: Paperclip and Mojang's jar where it looks, so its own decision needs no network", async () => {
    const server = await createServer(c.call, { type: "paper" });
    await waitStatus(c.call, server.id, "running", 30_000);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ type: "paper", loaderVersion: null, mods: [] });
    const dir = serverDir(server.vmid);
    expect(await paperclipLaunchDecision(dir, PAPER_SERVER_JAR)).toEqual({ launches: true, jar: PAPER_SERVER_JAR, mainClass: "io.papermc.paper.PaperBootstrap" });
    expect(await exists(join(dir, "cache/mojang_1.21.1.jar"))).toBe(true);
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("Starting io.papermc.paper.PaperBootstrap");
    const [row] = await c.sql`select manifest from servers where id = ${server.id}`;
    expect(row!.manifest).toMatchObject({ type: "paper", loader: "132", launch: { jar: PAPER_SERVER_JAR } });
    expect(await answersPing(server)).toBe(true);
    const mods = await change(server.id, { mods: [{ project: "lithium" }] });
    expect(mods.body).toEqual({ error: "not_supported_by_type", message: 'A paper server runs no mods (it takes plugins, which are not provisioned yet); remove them ("mods": []), or choose the fabric type.' });
  });

  it("provisions a Purpur server to running: a Paperclip too, Mojang's jar where it looks, the game's jar taken from Mojang's", async () => {
    const server = await createServer(c.call, { type: "purpur" });
    await waitStatus(c.call, server.id, "running", 30_000);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ type: "purpur", loaderVersion: null, mods: [] });
    const dir = serverDir(server.vmid);
    expect(await paperclipLaunchDecision(dir, PURPUR_SERVER_JAR)).toEqual({ launches: true, jar: PURPUR_SERVER_JAR, mainClass: "org.bukkit.craftbukkit.Main" });
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("Starting org.bukkit.craftbukkit.Main");
    // What Purpur's Paperclip extracts from Mojang's jar (the game's jar, listed in versions.list) is there only in Mojang's jar:
    // without it Paperclip would download it.
    await rm(join(dir, "cache/mojang_1.21.1.jar"));
    expect(await paperclipLaunchDecision(dir, PURPUR_SERVER_JAR)).toMatchObject({ launches: false, needsNetwork: true, reason: expect.stringContaining("Downloading mojang_1.21.1.jar") });
  });

  it("provisions a Quilt server to running with a Quilt mod and a Fabric one: its launch jar, libraries and server.jar, so Quilt's own decision passes", async () => {
    const server = await createServer(c.call, { type: "quilt", mods: [{ project: "qsl" }, { project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const shown = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    expect(shown).toMatchObject({ type: "quilt", mods: [{ project: "qsl" }, { project: "lithium" }] });
    const dir = serverDir(server.vmid);
    expect(await quiltLaunchDecision(dir)).toEqual({ launches: true, jar: QUILT_LAUNCHER_JAR, mainClass: "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher", serverJar: "server.jar", loader: "0.26.4" });
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("Loading Minecraft 1.21.1 with Quilt Loader 0.26.4");
    expect((await readdir(join(dir, "mods"))).sort()).toEqual(["lithium-mc1.21.1-0.13.0.jar", "qsl-10.0.0-alpha.1+1.21.1.jar"]);
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    const [row] = await c.sql`select server_type, manifest from servers where id = ${server.id}`;
    expect(row!.server_type).toBe("quilt");
    expect(row!.manifest).toMatchObject({ type: "quilt", loader: "0.26.4", launch: { jar: QUILT_LAUNCHER_JAR } });
    expect(await answersPing(server)).toBe(true);
  });

  it("changes a Fabric server to Quilt keeping its Fabric mods (Quilt loads them): Fabric's install out, Quilt's in, the world kept", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const dir = serverDir(server.vmid);
    await writeAsCustomer(dir, join(dir, "world/level.dat"), "the customer's world");
    const asked = await change(server.id, { type: "quilt" });
    expect(asked.status).toBe(202);
    const after = await changeEnded(server.id, asked.body.generation);
    expect(after.ended).toMatchObject({ status: "applied", changes: { type: { from: "fabric", to: "quilt" } } });
    expect(after).toMatchObject({ type: "quilt", mods: [{ project: "lithium" }] });
    expect(await quiltLaunchDecision(dir)).toMatchObject({ launches: true, loader: "0.26.4" });
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    expect(await readdir(join(dir, ".fabric/server")).catch(() => [])).toEqual([]);
    expect(await readdir(join(dir, "mods"))).toEqual(["lithium-mc1.21.1-0.13.0.jar"]);
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("the customer's world");
    expect(await answersPing(server)).toBe(true);
  });

  it("refuses mods or a loader version on vanilla and a type it does not provision, writing nothing", async () => {
    const [{ count: before }] = await c.sql`select count(*)::int as count from servers`;
    const mods = await create({ type: "vanilla", mods: [{ project: "lithium" }] });
    expect(mods.status).toBe(422);
    expect(mods.body).toEqual({ error: "not_supported_by_type", message: 'A vanilla server runs no mods (it has no mod loader); remove them ("mods": []), or choose the fabric type.' });
    const loader = await create({ type: "vanilla", loaderVersion: "0.16.5" });
    expect([loader.status, loader.body.error]).toEqual([422, "not_supported_by_type"]);
    for (const type of ["forge", "Vanilla"]) expect((await create({ type })).body.error).toBe("invalid_request");
    const [{ count: after }] = await c.sql`select count(*)::int as count from servers`;
    expect(after).toBe(before);
  });

  it("changes a Fabric server to vanilla (its mods taken out in the same change): Fabric's files out, server.jar in, the world kept", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 30_000);
    const dir = serverDir(server.vmid);
    await writeAsCustomer(dir, join(dir, "world/level.dat"), "the customer's world");
    const keepingMods = await change(server.id, { type: "vanilla" });
    expect([keepingMods.status, keepingMods.body.error]).toEqual([422, "not_supported_by_type"]);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body.change).toBeNull();

    const asked = await change(server.id, { type: "vanilla", mods: [] });
    expect(asked.status).toBe(202);
    const after = await changeEnded(server.id, asked.body.generation);
    expect(after.ended).toMatchObject({ status: "applied", changes: { type: { from: "fabric", to: "vanilla" } } });
    expect(after).toMatchObject({ type: "vanilla", loaderVersion: null, mods: [] });
    expect(await vanillaLaunchDecision(dir)).toMatchObject({ launches: true });
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    expect(await readdir(join(dir, "mods")).catch(() => [])).toEqual([]);
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("the customer's world");
    expect(await answersPing(server)).toBe(true);
  });

  it("rolls a type change back when the server does not come up with it: vanilla again, running as before", async () => {
    const server = await createServer(c.call, { type: "vanilla" });
    await waitStatus(c.call, server.id, "running", 30_000);
    const before = (await c.call("GET", `/v1/servers/${server.id}`)).body;
    // Fabric with a mod that resolves but that Fabric Loader refuses to start with.
    const asked = await change(server.id, { type: "fabric", mods: [{ project: "needs-new-loader" }] });
    expect(asked.status).toBe(202);
    const after = await changeEnded(server.id, asked.body.generation);
    expect(after.ended.status).toBe("rolled_back");
    expect(after).toMatchObject({ type: "vanilla", loaderVersion: null, mods: [], manifests: { applied: before.manifests.applied, requested: null } });
    const dir = serverDir(server.vmid);
    expect(await vanillaLaunchDecision(dir)).toMatchObject({ launches: true });
    // Fabric's install, placed for the change, is gone with it.
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    expect(await answersPing(server)).toBe(true);

    // And forward to Fabric for real: its launcher's own check passes on what was placed.
    const forward = await change(server.id, { type: "fabric" });
    const fabric = await changeEnded(server.id, forward.body.generation);
    expect(fabric).toMatchObject({ type: "fabric", ended: { status: "applied" } });
    expect(await fabricLaunchDecision(dir)).toMatchObject({ launches: true, game: "1.21.1" });
    expect(await exists(join(dir, VANILLA_SERVER_JAR))).toBe(false);
  });
});
