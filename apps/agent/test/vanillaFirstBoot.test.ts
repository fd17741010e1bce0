import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FABRIC_LAUNCHER_JAR, storedZip, VANILLA_SERVER_JAR, vanillaLaunchDecision, type Manifest } from "@zlh/artifacts";
import { fixtureManifest, fixtureVanillaManifest } from "@zlh/testing";
import { placeServer, readRecord } from "../src/placement/placeServer";
import { simFirstBoot, type SimFirstBoot } from "./support/simFirstBoot";

const SERVER = "0b7e3c1a-5d2f-4e8a-9c6b-1f2e3d4c5b6a";
const VMID = 7101;

/**
 * A vanilla server's first boot: Mojang's jar at server.jar, started with
 * `java -jar server.jar nogui`. The decision is the JVM's
 * (vanillaLaunchDecision); the simulated server reads the type and the jar
 * from what placement recorded and must decide the same way on the same
 * directory: start and answer, or refuse with the JVM's wording.
 */
describe("vanilla first boot with no network", () => {
  let sim: SimFirstBoot;
  let dir: string;
  let manifest: Manifest;
  const boot = () => sim.boot();
  const place = (m: Manifest) => sim.rt.withGuest(VMID, (guest) => placeServer(guest, sim.spec(m), m, sim.cache));
  const record = () => sim.rt.withGuest(VMID, (guest) => readRecord(guest));

  /** Breaks server.jar, checks both deciders refuse with `reason`, then puts it back. */
  async function expectRefusal(broken: Uint8Array | null, reason: string) {
    const saved = await readFile(join(dir, VANILLA_SERVER_JAR));
    if (broken === null) await rm(join(dir, VANILLA_SERVER_JAR));
    else await writeFile(join(dir, VANILLA_SERVER_JAR), broken);
    expect(await vanillaLaunchDecision(dir)).toEqual({ launches: false, needsNetwork: false, reason });
    const booted = await boot();
    expect(booted.answered).toBe(false);
    expect(booted.log).toContain(reason);
    await writeFile(join(dir, VANILLA_SERVER_JAR), saved);
  }

  beforeAll(async () => {
    manifest = await fixtureVanillaManifest();
    sim = await simFirstBoot(VMID, SERVER, manifest);
    dir = sim.dir;
  });
  afterAll(() => sim?.close());

  it("places Mojang's jar at server.jar as pinned, and records the type and the jar that starts it", async () => {
    const bytes = await readFile(join(dir, VANILLA_SERVER_JAR));
    expect(bytes.byteLength).toBe(manifest.files[0]!.size);
    expect(await record()).toMatchObject({ type: "vanilla", jar: VANILLA_SERVER_JAR, game: "1.21.1", files: [{ path: VANILLA_SERVER_JAR, sha512: manifest.files[0]!.sha512 }] });
  });

  it("finds Mojang's jar executable: the JVM would start the game with no network, and so does the sim", async () => {
    expect(await vanillaLaunchDecision(dir)).toEqual({ launches: true, jar: VANILLA_SERVER_JAR, mainClass: "net.minecraft.bundler.Main" });
    expect((await boot()).answered).toBe(true);
  });

  it("refuses a missing, a corrupt and a jar without Main-Class with the JVM's wording", async () => {
    await expectRefusal(null, "Error: Unable to access jarfile server.jar");
    await expectRefusal(new TextEncoder().encode("not a zip"), "Error: Invalid or corrupt jarfile server.jar");
    await expectRefusal(storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode("Manifest-Version: 1.0\r\n\r\n") }]), "no main manifest attribute, in server.jar");
    expect((await boot()).answered).toBe(true);
  });

  it("starts what the manifest names, not what happens to lie there: a Fabric launcher beside server.jar is not run, nor needed", async () => {
    await writeFile(join(dir, FABRIC_LAUNCHER_JAR), "left over");
    expect((await boot()).answered).toBe(true);
    await rm(join(dir, FABRIC_LAUNCHER_JAR));
  });

  it("a type change re-places: Fabric's files in, server.jar out, and the record says Fabric again (the sim then makes Fabric's decision)", async () => {
    const fabric = await fixtureManifest();
    const report = await place(fabric);
    expect(report.removed).toEqual([VANILLA_SERVER_JAR]);
    expect(await record()).toMatchObject({ type: "fabric", jar: FABRIC_LAUNCHER_JAR });
    expect((await boot()).answered).toBe(true);
    await rm(join(dir, FABRIC_LAUNCHER_JAR));
    expect((await boot()).log).toContain("Error: Unable to access jarfile fabric-server-launch.jar");
    await place(manifest);
    expect((await boot()).answered).toBe(true);
  });

  it("then refuses without eula=true, as Minecraft does", async () => {
    await writeFile(join(dir, "eula.txt"), "eula=false\n");
    const booted = await boot();
    expect(booted.answered).toBe(false);
    expect(booted.log).toMatch(/You need to agree to the EULA in order to run the server/);
    await writeFile(join(dir, "eula.txt"), "eula=true\n");
  });
});
