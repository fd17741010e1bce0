import { spawn } from "node:child_process";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUILT_LAUNCHER_JAR, QUILT_LAUNCHER_PROPERTIES, QUILT_SERVER_JAR, quiltLaunchDecision, storedZip, type Manifest } from "@zlh/artifacts";
import { FIXTURE_MODS, fixtureQuiltManifest } from "@zlh/testing";
import { placeServer } from "../src/placement/placeServer";
import { simFirstBoot, type SimFirstBoot } from "./support/simFirstBoot";

const SERVER = "3b8e1c2d-4f5a-4b6c-9d7e-8f9a0b1c2d3e";
const VMID = 7104;
const MAIN = "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher";
const LOADER_JAR = "libraries/org/quiltmc/quilt-loader/0.26.4/quilt-loader-0.26.4.jar";

/**
 * A Quilt server's first boot: quilt-server-launch.jar is a manifest naming
 * QuiltServerLauncher and every library, as Quilt's installer writes it; the
 * launcher downloads nothing, so a complete install is the only way it
 * starts. Each case runs the launcher's decision (quiltLaunchDecision: the
 * JVM's checks, then QuiltServerLauncher's, read from their source) on a
 * placed directory and starts the simulated server on the same directory,
 * which must decide the same way and say so in the same words.
 */
describe("Quilt first boot with no network", () => {
  let sim: SimFirstBoot;
  let dir: string;
  let manifest: Manifest;
  const boot = () => sim.boot();

  /** Changes `file` (null: removes it), checks both deciders refuse outright with `reason`, then puts it back. */
  async function expectRefusal(file: string, broken: Uint8Array | string | null, reason: string | RegExp) {
    const saved = await readFile(join(dir, file)).catch(() => null);
    if (broken === null) await rm(join(dir, file));
    else await writeFile(join(dir, file), broken);
    const decision = await quiltLaunchDecision(dir);
    expect(decision).toMatchObject({ launches: false, needsNetwork: false });
    const booted = await boot();
    expect(booted.answered, file).toBe(false);
    if (typeof reason === "string") {
      expect(decision.launches === false && decision.reason).toBe(reason);
      expect(booted.log).toContain(reason);
    } else {
      expect(decision.launches === false && decision.reason).toMatch(reason);
      expect(booted.log).toMatch(reason);
    }
    if (saved) await writeFile(join(dir, file), saved);
    else await rm(join(dir, file));
  }
  const launchJar = (attributes: string) => storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode(`Manifest-Version: 1.0\r\n${attributes}\r\n`) }]);

  beforeAll(async () => {
    manifest = await fixtureQuiltManifest([FIXTURE_MODS.qsl, FIXTURE_MODS.lithium]);
    sim = await simFirstBoot(VMID, SERVER, manifest);
    dir = sim.dir;
  });
  afterAll(() => sim?.close());

  it("finds a complete install in a placed directory: the JVM finds QuiltServerLauncher, which finds server.jar and every library", async () => {
    expect(await quiltLaunchDecision(dir)).toEqual({ launches: true, jar: QUILT_LAUNCHER_JAR, mainClass: MAIN, serverJar: QUILT_SERVER_JAR, loader: "0.26.4" });
    const booted = await boot();
    expect(booted.answered).toBe(true);
    expect(booted.log).toContain("Loading Minecraft 1.21.1 with Quilt Loader 0.26.4");
  });

  it("refuses as the JVM does a launch jar that is missing, not a zip, or names no Main-Class", async () => {
    await expectRefusal(QUILT_LAUNCHER_JAR, null, "Error: Unable to access jarfile quilt-server-launch.jar");
    await expectRefusal(QUILT_LAUNCHER_JAR, "not a zip", "Error: Invalid or corrupt jarfile quilt-server-launch.jar");
    await expectRefusal(QUILT_LAUNCHER_JAR, launchJar(`Class-Path: ${LOADER_JAR}\r\n`), "no main manifest attribute, in quilt-server-launch.jar");
  });

  it("cannot load the main class when the loader jar is missing, or the Class-Path does not name it (the JVM skips what is missing)", async () => {
    const notFound = `Error: Could not find or load main class ${MAIN}\nCaused by: java.lang.ClassNotFoundException: ${MAIN}`;
    await expectRefusal(LOADER_JAR, null, notFound);
    await expectRefusal(QUILT_LAUNCHER_JAR, launchJar(`Main-Class: ${MAIN}\r\nClass-Path: libraries/org/ow2/asm/asm/9.6/asm-9.6.jar\r\n`), notFound);
    // A Class-Path entry climbing out of the server directory is never followed.
    await expectRefusal(QUILT_LAUNCHER_JAR, launchJar(`Main-Class: ${MAIN}\r\nClass-Path: ../../../../${LOADER_JAR}\r\n`), notFound);
  });

  it("says what the machine's own java says when it cannot load the main class", async () => {
    /** `java -jar quilt-server-launch.jar nogui` in the directory, to its end (killed past a deadline): its stderr. */
    const realJava = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn("java", ["-Xmx32M", "-jar", QUILT_LAUNCHER_JAR, "nogui"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (err) => reject(new Error(`this test runs the machine's java (apt-get install -y openjdk-17-jre-headless): ${err.message}`)));
        child.on("close", () => {
          clearTimeout(deadline);
          resolve(stderr.trim());
        });
      });
    const loader = await readFile(join(dir, LOADER_JAR));
    await rm(join(dir, LOADER_JAR));
    try {
      const decision = await quiltLaunchDecision(dir);
      expect(decision.launches === false && decision.reason).toBe(await realJava());
    } finally {
      await writeFile(join(dir, LOADER_JAR), loader);
    }
  });

  it("stops as QuiltServerLauncher does without the Minecraft server jar, also where quilt-server-launcher.properties points", async () => {
    const missing = (shown: RegExp) => new RegExp(`The Minecraft server \\.JAR is missing \\(${shown.source}\\)!\\nWithout the official Minecraft server \\.JAR, Quilt Loader cannot launch\\.`);
    await expectRefusal(QUILT_SERVER_JAR, null, missing(/\/\S*srv\/minecraft\/server\.jar/));
    await expectRefusal(QUILT_LAUNCHER_PROPERTIES, "#Quilt\nserverJar=minecraft.jar\n", missing(/\/\S*srv\/minecraft\/minecraft\.jar/));
    await expectRefusal(QUILT_LAUNCHER_PROPERTIES, "serverJar=../../../../etc/hostname\n", missing(/\S*etc\/hostname/));
    // The properties file is honoured: the jar where it points launches.
    await writeFile(join(dir, QUILT_LAUNCHER_PROPERTIES), "serverJar=minecraft.jar\n");
    await rename(join(dir, QUILT_SERVER_JAR), join(dir, "minecraft.jar"));
    expect(await quiltLaunchDecision(dir)).toMatchObject({ launches: true, serverJar: "minecraft.jar" });
    expect((await boot()).answered).toBe(true);
    await rename(join(dir, "minecraft.jar"), join(dir, QUILT_SERVER_JAR));
    await rm(join(dir, QUILT_LAUNCHER_PROPERTIES));
  });

  it("refuses a library the Class-Path names that is not there: Knot would fail with a NoClassDefFoundError", async () => {
    const lib = "libraries/org/ow2/asm/asm-tree/9.6/asm-tree-9.6.jar";
    await expectRefusal(lib, null, `Class-Path entry ${lib} of quilt-server-launch.jar is missing: Quilt Loader would stop with a NoClassDefFoundError when it needs it`);
    // A malformed escape in the Class-Path (the launch jar is the customer's to change) is an entry that names no file, not a crash of the decision.
    await expectRefusal(QUILT_LAUNCHER_JAR, launchJar(`Main-Class: ${MAIN}\r\nClass-Path: ${LOADER_JAR} libraries/%zz.jar\r\n`), "Class-Path entry libraries/%zz.jar of quilt-server-launch.jar is missing: Quilt Loader would stop with a NoClassDefFoundError when it needs it");
  });

  it("builds the launch jar from its recipe when placing, and refuses a recipe that does not give the pinned bytes", async () => {
    const placed = await readFile(join(dir, QUILT_LAUNCHER_JAR));
    const tampered = structuredClone(manifest);
    const launch = tampered.files.find((f) => f.path === QUILT_LAUNCHER_JAR)!;
    if (launch.kind !== "quiltLaunch") throw new Error(`the launch jar is a ${launch.kind} file`);
    launch.build.classPath = launch.build.classPath.filter((e) => !e.includes("asm-tree"));
    // Placement keeps a file whose bytes are already the pinned ones, so the jar must be missing for it to build one.
    await rm(join(dir, QUILT_LAUNCHER_JAR));
    await expect(sim.rt.withGuest(VMID, (guest) => placeServer(guest, sim.spec(tampered), tampered, sim.cache))).rejects.toMatchObject({
      code: "artifact_mismatch",
      message: expect.stringContaining("quilt-server-launch.jar: the built file differs from the one the manifest pins"),
    });
    expect((await quiltLaunchDecision(dir)).launches).toBe(false);
    // The manifest as pinned builds the same bytes the fixture placed.
    await sim.rt.withGuest(VMID, (guest) => placeServer(guest, sim.spec(manifest), manifest, sim.cache));
    expect(await readFile(join(dir, QUILT_LAUNCHER_JAR))).toEqual(placed);
    expect((await quiltLaunchDecision(dir)).launches).toBe(true);
  });

  it("then refuses without eula=true, as Minecraft does (the launcher itself does not look)", async () => {
    await writeFile(join(dir, "eula.txt"), "eula=false\n");
    expect((await quiltLaunchDecision(dir)).launches).toBe(true);
    const booted = await boot();
    expect(booted.answered).toBe(false);
    expect(booted.log).toMatch(/You need to agree to the EULA in order to run the server/);
    await writeFile(join(dir, "eula.txt"), "eula=true\n");
    expect((await boot()).answered).toBe(true);
  });
});
