import { access, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FABRIC_LAUNCHER_JAR, neoforgeArgFiles, neoforgeLaunchDecision } from "@zlh/artifacts";
import { buildMrpack, mirroredPackFile, MIRRORED_MODS } from "@zlh/testing";
import type { StandinNeoforge } from "../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../scripts/standinGame/installerJava";
import { createServer } from "../support/api";
import { startE2eCluster, type E2eCluster } from "../support/cluster";
import { writeAsCustomer } from "../support/customerFiles";
import { answersPing, changeEnded, waitStatus } from "../support/lifecycle";
import { neoforgeMirror } from "../support/neoforgeMirror";

const GAME = "1.21.1";
const exists = (p: string) => access(p).then(() => true, () => false);
const VERSION = "21.1.77";

/** NeoForge to `running` on the sim: the installer run once by the control plane, its tree placed by a real agent, started from its args files. */
describe("a NeoForge server", () => {
  let c: E2eCluster;
  let mirror: string;
  let neo: StandinNeoforge;
  beforeAll(async () => {
    // The offline mirror plus NeoForge's Maven as it serves a build: maven-metadata.xml, the installer with its .sha256, the libraries.
    ({ dir: mirror, neo } = await neoforgeMirror(GAME, VERSION, ["21.1.1-beta", "21.1.9", VERSION, "21.2.1-beta"]));
    const env = { ZLH_ARTIFACT_SOURCE: "mirror", ZLH_ARTIFACT_MIRROR: mirror };
    // 1.21.1 needs Java 21 to install; the stand-in says it is that (this machine's java may be 17).
    c = await startE2eCluster("neoforge-host", { ...env, ZLH_NEOFORGE_JAVA: standinInstallerJava(21) });
    c.startAgent({ extra: env });
  });
  afterAll(async () => {
    await c?.close();
    await rm(mirror, { recursive: true, force: true });
  });

  it("provisions to running: the newest release pinned, every installer file placed, started from its args files with no network", async () => {
    const server = await createServer(c.call, { type: "neoforge" });
    await waitStatus(c.call, server.id, "running", 90_000);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ type: "neoforge", mods: [] });
    const [row] = await c.sql`select manifest from servers where id = ${server.id}`;
    expect(row!.manifest).toMatchObject({ type: "neoforge", loader: VERSION, launch: { argFiles: neoforgeArgFiles(VERSION) } });
    const files = row!.manifest.files as { path: string; url: string; kind: string }[];
    expect(files.find((f) => f.path.endsWith("unix_args.txt"))).toMatchObject({ kind: "installed", url: expect.stringMatching(/^zlh:neoforge\/[0-9a-f]{128}$/) });
    const dir = join(c.simRoot, String(server.vmid), "rootfs/srv/minecraft");
    expect(await readFile(join(dir, neoforgeArgFiles(VERSION)[1]!), "utf8")).toBe(neo.unixArgs);
    expect(await neoforgeLaunchDecision(dir, neoforgeArgFiles(VERSION))).toMatchObject({ launches: true, mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
    expect(await readFile(join(dir, "logs/latest.log"), "utf8")).toContain("Starting cpw.mods.bootstraplauncher.BootstrapLauncher (NeoForge)");
    expect(await answersPing(server)).toBe(true);
    const [installs] = await c.sql`select count(*)::int as n from neoforge_installs`;
    expect(installs!.n).toBe(1);
  });

  it("changes a Fabric server to NeoForge (its mods out in the same change): Fabric's install out, NeoForge's tree in, the world kept", async () => {
    const server = await createServer(c.call, { mods: [{ project: "lithium" }] });
    await waitStatus(c.call, server.id, "running", 60_000);
    const dir = join(c.simRoot, String(server.vmid), "rootfs/srv/minecraft");
    await writeAsCustomer(dir, join(dir, "world/level.dat"), "the customer's world");
    const asked = await c.call("PATCH", `/v1/servers/${server.id}`, { type: "neoforge", mods: [] }, { "idempotency-key": "neoforge-change-1" });
    expect(asked.status).toBe(202);
    const after = await changeEnded(c.call, server.id, asked.body.generation);
    expect(after.ended).toMatchObject({ status: "applied", changes: { type: { from: "fabric", to: "neoforge" } } });
    // No loader asked for: the type's default, NeoForge's newest release, is what the manifest pins.
    expect(after).toMatchObject({ type: "neoforge", loaderVersion: null, mods: [] });
    const [row] = await c.sql`select manifest from servers where id = ${server.id}`;
    expect(row!.manifest).toMatchObject({ type: "neoforge", loader: VERSION });
    expect(await neoforgeLaunchDecision(dir, neoforgeArgFiles(VERSION))).toMatchObject({ launches: true });
    expect(await exists(join(dir, FABRIC_LAUNCHER_JAR))).toBe(false);
    // Placement removes the files the old manifest placed (their directories may stay, empty).
    const fabricLeft = await readdir(join(dir, ".fabric"), { recursive: true, withFileTypes: true }).catch(() => []);
    expect(fabricLeft.filter((e) => e.isFile()).map((e) => e.name)).toEqual([]);
    expect(await readdir(join(dir, "mods")).catch(() => [])).toEqual([]);
    expect(await readFile(join(dir, "world/level.dat"), "utf8")).toBe("the customer's world");
    expect(await answersPing(server)).toBe(true);
    // One install per (game, version), however many servers place it.
    const [installs] = await c.sql`select count(*)::int as n from neoforge_installs`;
    expect(installs!.n).toBe(1);
  });

  it("runs a NeoForge modpack: the neoforge type with the pack's build, NeoForge's tree and the pack's files and overrides placed", async () => {
    const mod = await mirroredPackFile("mods/pack-mod.jar", MIRRORED_MODS.lithium);
    const pack = buildMrpack({
      name: "Neo E2E Pack",
      versionId: "1.0.0",
      dependencies: { minecraft: GAME, neoforge: VERSION },
      files: [mod, await mirroredPackFile("mods/client-only.jar", MIRRORED_MODS.sodium, { client: "required", server: "unsupported" })],
      overrides: { "config/neo-pack.toml": "pack = 1\n" },
      serverOverrides: { "config/neo-server.toml": "server = true\n" },
    });
    const up = await c.call("POST", "/v1/modpacks?customerId=e2e", pack, { "content-type": "application/x-modrinth-modpack+zip" });
    expect([up.status, up.body.loader]).toEqual([201, { name: "neoforge", version: VERSION }]);
    const server = await createServer(c.call, { minecraftVersion: undefined, modpack: { upload: up.body.sha512 } });
    await waitStatus(c.call, server.id, "running", 90_000);
    expect((await c.call("GET", `/v1/servers/${server.id}`)).body).toMatchObject({ type: "neoforge", minecraftVersion: GAME, loaderVersion: VERSION, mods: [], modpack: { name: "Neo E2E Pack" } });
    const dir = join(c.simRoot, String(server.vmid), "rootfs/srv/minecraft");
    expect(await neoforgeLaunchDecision(dir, neoforgeArgFiles(VERSION))).toMatchObject({ launches: true, mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
    expect(await readdir(join(dir, "mods"))).toEqual(["pack-mod.jar"]);
    expect(await readFile(join(dir, "mods/pack-mod.jar"))).toEqual(Buffer.from(mod.bytes));
    expect(await readFile(join(dir, "config/neo-pack.toml"), "utf8")).toBe("pack = 1\n");
    expect(await readFile(join(dir, "config/neo-server.toml"), "utf8")).toBe("server = true\n");
    expect(await answersPing(server)).toBe(true);
  });
});
