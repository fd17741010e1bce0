import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLauncherJar, fabricLaunchDecision, fabricLaunchJarPath, mirrorSource, OFFLINE_MIRROR_DIR, storedZip, vanillaServerJarPath } from "@zlh/artifacts";
import { FIXTURE_MODS, fixtureManifest } from "@zlh/testing";
import { simFirstBoot, type SimFirstBoot } from "./support/simFirstBoot";

const SERVER = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a90";
const VMID = 7100;

/**
 * A first boot must need no network. Each case runs the launcher's own
 * decision (fabricLaunchDecision, FabricMC's ServerLauncher step by step) on
 * a placed server directory, and starts the simulated server on the same
 * directory, which must decide the same way: start and answer, or refuse and
 * say why in logs/latest.log.
 */
describe("Fabric first boot with no network", () => {
  let sim: SimFirstBoot;
  let dir: string;
  const read = (p: string) => readFile(join(dir, p));
  const boot = () => sim.boot();

  /** Breaks the directory, checks both deciders refuse with `reason`, then puts it back. */
  async function expectRefusal(file: string, broken: Uint8Array | null, reason: RegExp, needsNetwork: boolean) {
    const saved = await read(file);
    if (broken === null) await rm(join(dir, file));
    else await writeFile(join(dir, file), broken);
    const decision = await fabricLaunchDecision(dir);
    expect(decision).toMatchObject({ launches: false, needsNetwork });
    expect(decision.launches === false && decision.reason).toMatch(reason);
    const booted = await boot();
    expect(booted.answered, file).toBe(false);
    expect(booted.log).toMatch(reason);
    await writeFile(join(dir, file), saved);
  }

  beforeAll(async () => {
    sim = await simFirstBoot(VMID, SERVER, await fixtureManifest([FIXTURE_MODS.fabricApi, FIXTURE_MODS.lithium]));
    dir = sim.dir;
  });
  afterAll(() => sim?.close());

  it("finds a complete install in a placed directory: the launcher would start the game with no network", async () => {
    expect(await fabricLaunchDecision(dir)).toEqual({
      launches: true,
      loader: "0.16.5",
      game: "1.21.1",
      mainClass: "net.fabricmc.loader.impl.launch.server.FabricServerLauncher",
      launchJar: fabricLaunchJarPath("0.16.5", "1.21.1"),
      serverJar: vanillaServerJarPath("1.21.1"),
    });
    const booted = await boot();
    expect(booted.answered).toBe(true);
    expect(booted.log).toContain("Loading Minecraft 1.21.1 with Fabric Loader 0.16.5");
  });

  it("would go to the network with the layout placed before (libraries and launcher, no launch jar)", async () => {
    await expectRefusal(fabricLaunchJarPath("0.16.5", "1.21.1"), null, /fabric-loader-server-0\.16\.5-minecraft-1\.21\.1\.jar is missing/, true);
  });

  it("would reinstall when a library the launch jar names is missing", async () => {
    await expectRefusal("libraries/org/ow2/asm/asm-tree/9.6/asm-tree-9.6.jar", null, /Detected incomplete install, reinstalling/, true);
  });

  it("would download the vanilla server when its jar is missing", async () => {
    await expectRefusal(vanillaServerJarPath("1.21.1"), null, /1\.21\.1-server\.jar is missing/, true);
  });

  it("would reinstall when the launch jar has no Main-Class", async () => {
    const noMain = storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode("Manifest-Version: 1.0\r\n\r\n") }]);
    await expectRefusal(fabricLaunchJarPath("0.16.5", "1.21.1"), noMain, /Jar does not have a Main-Class attribute/, true);
  });

  it("would reinstall when the launch jar's Class-Path has a malformed escape (an entry naming no file), rather than the decision throwing", async () => {
    const manifest = "Manifest-Version: 1.0\r\nMain-Class: net.fabricmc.loader.impl.launch.server.FabricServerLauncher\r\nClass-Path: ../../libraries/%zz.jar\r\n\r\n";
    const malformed = storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode(manifest) }]);
    await expectRefusal(fabricLaunchJarPath("0.16.5", "1.21.1"), malformed, /Detected incomplete install, reinstalling/, true);
  });

  it("refuses a launcher without install.properties, and one naming a loader below 0.12, as the real launcher does", async () => {
    const installer = await mirrorSource(OFFLINE_MIRROR_DIR, "offline").fetchBytes("https://maven.fabricmc.net/net/fabricmc/fabric-installer/1.0.1/fabric-installer-1.0.1-server.jar");
    await expectRefusal("fabric-server-launch.jar", installer, /Jar does not contain unattended install\.properties file/, false);
    await expectRefusal("fabric-server-launch.jar", buildLauncherJar(installer, "0.11.7", "1.21.1"), /Fabric loader 0\.12 or higher is required for unattended server installs/, false);
  });

  it("then refuses without eula=true, as Minecraft does (the launcher itself does not look)", async () => {
    await writeFile(join(dir, "eula.txt"), "eula=false\n");
    expect((await fabricLaunchDecision(dir)).launches).toBe(true);
    const booted = await boot();
    expect(booted.answered).toBe(false);
    expect(booted.log).toMatch(/You need to agree to the EULA in order to run the server/);
    await writeFile(join(dir, "eula.txt"), "eula=true\n");
    expect((await boot()).answered).toBe(true);
  });
});
