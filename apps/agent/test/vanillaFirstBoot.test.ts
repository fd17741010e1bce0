import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FABRIC_LAUNCHER_JAR, mirrorSource, OFFLINE_MIRROR_DIR, storedZip, VANILLA_SERVER_JAR, vanillaLaunchDecision, type Manifest } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest, fixtureVanillaManifest, freePort } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer, readRecord, SERVER_DIR } from "../src/placement/placeServer";
import { SimRuntime } from "../src/runtime/sim";
import { pingServer } from "../src/slp/ping";

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
  let rt: SimRuntime;
  let dir: string;
  let manifest: Manifest;
  let port: number;
  let cache: ArtifactCache;
  const spec = () => ({ vmid: VMID, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: port, rconPort: port + 1, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw" });

  async function boot(): Promise<{ answered: boolean; log: string }> {
    await rt.start(VMID);
    let answered = false;
    for (const deadline = Date.now() + 15_000; !answered && Date.now() < deadline; ) {
      if ((await rt.inspect(VMID))?.state !== "running") break;
      answered = await pingServer(await rt.address(VMID), port, 200).then(() => true, () => false);
      if (!answered) await new Promise((r) => setTimeout(r, 50));
    }
    if ((await rt.inspect(VMID))?.state === "running") await rt.stop(VMID, 2000);
    return { answered, log: await readFile(join(dir, "logs/latest.log"), "utf8").catch(() => "") };
  }

  /** Breaks server.jar, checks both deciders refuse with `reason`, then puts it back. */
  async function expectRefusal(broken: Uint8Array | null, reason: string) {
    const saved = await readFile(join(dir, VANILLA_SERVER_JAR));
    if (broken === null) await rm(join(dir, VANILLA_SERVER_JAR));
    else await writeFile(join(dir, VANILLA_SERVER_JAR), broken);
    expect(await vanillaLaunchDecision(dir)).toEqual({ launches: false, needsNetwork: false, reason });
    const sim = await boot();
    expect(sim.answered).toBe(false);
    expect(sim.log).toContain(reason);
    await writeFile(join(dir, VANILLA_SERVER_JAR), saved);
  }

  beforeAll(async () => {
    const simRoot = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    rt = new SimRuntime({ root: simRoot });
    port = await freePort();
    manifest = await fixtureVanillaManifest();
    await rt.create({ vmid: VMID, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    await rt.withGuest(VMID, (guest) => placeServer(guest, spec(), manifest, cache));
    dir = join(simRoot, String(VMID), "rootfs", SERVER_DIR);
  });
  afterAll(async () => {
    if ((await rt.inspect(VMID))?.state === "running") await rt.stop(VMID, 2000);
  });

  it("places Mojang's jar at server.jar as pinned, and records the type and the jar that starts it", async () => {
    const bytes = await readFile(join(dir, VANILLA_SERVER_JAR));
    expect(bytes.byteLength).toBe(manifest.files[0]!.size);
    const record = await rt.withGuest(VMID, (guest) => readRecord(guest));
    expect(record).toMatchObject({ type: "vanilla", jar: VANILLA_SERVER_JAR, game: "1.21.1", files: [{ path: VANILLA_SERVER_JAR, sha512: manifest.files[0]!.sha512 }] });
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
    const report = await rt.withGuest(VMID, (guest) => placeServer(guest, { ...spec(), manifest: fabric }, fabric, cache));
    expect(report.removed).toEqual([VANILLA_SERVER_JAR]);
    expect((await rt.withGuest(VMID, (guest) => readRecord(guest)))).toMatchObject({ type: "fabric", jar: FABRIC_LAUNCHER_JAR });
    expect((await boot()).answered).toBe(true);
    await rm(join(dir, FABRIC_LAUNCHER_JAR));
    expect((await boot()).log).toContain("Error: Unable to access jarfile fabric-server-launch.jar");
    await rt.withGuest(VMID, (guest) => placeServer(guest, spec(), manifest, cache));
    expect((await boot()).answered).toBe(true);
  });

  it("then refuses without eula=true, as Minecraft does", async () => {
    await writeFile(join(dir, "eula.txt"), "eula=false\n");
    const sim = await boot();
    expect(sim.answered).toBe(false);
    expect(sim.log).toMatch(/You need to agree to the EULA in order to run the server/);
    await writeFile(join(dir, "eula.txt"), "eula=true\n");
  });
});
