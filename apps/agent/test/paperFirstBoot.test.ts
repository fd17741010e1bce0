import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, PAPER_SERVER_JAR, paperclipLaunchDecision, storedZip, type Manifest } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { fixturePaperManifest, freePort } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer, readRecord, SERVER_DIR } from "../src/placement/placeServer";
import { SimRuntime } from "../src/runtime/sim";
import { pingServer } from "../src/slp/ping";

const SERVER = "7c2d9e4f-1a3b-4c5d-8e6f-9a0b1c2d3e4f";
const VMID = 7102;
const MOJANG_CACHE = "cache/mojang_1.21.1.jar";

/**
 * A Paper server's first boot: paper.jar is Paperclip, which downloads
 * Mojang's jar into cache/ unless it is there with the sha256 its download
 * context names, then patches and extracts locally. Each case runs
 * Paperclip's decision (paperclipLaunchDecision, read from its source) on a
 * placed directory and starts the simulated server on the same directory,
 * which must decide the same way.
 */
describe("Paper first boot with no network", () => {
  let rt: SimRuntime;
  let dir: string;
  let manifest: Manifest;
  let port: number;

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

  /** Breaks `file`, checks both deciders refuse with `reason` (and whether it is the network that is missing), then puts it back. */
  async function expectRefusal(file: string, broken: Uint8Array | null, reason: string, needsNetwork: boolean) {
    const saved = await readFile(join(dir, file));
    if (broken === null) await rm(join(dir, file));
    else await writeFile(join(dir, file), broken);
    const decision = await paperclipLaunchDecision(dir, PAPER_SERVER_JAR);
    expect(decision).toMatchObject({ launches: false, needsNetwork });
    expect(decision.launches === false && decision.reason).toContain(reason);
    const sim = await boot();
    expect(sim.answered, file).toBe(false);
    expect(sim.log).toContain(reason);
    await writeFile(join(dir, file), saved);
  }

  /** paper.jar with some of its entries replaced (null: removed), stored. */
  async function paperJarWith(changes: Record<string, string | Uint8Array | null>): Promise<Uint8Array> {
    const entries = { ...unzipSync(await readFile(join(dir, PAPER_SERVER_JAR))) } as Record<string, Uint8Array | null>;
    for (const [name, data] of Object.entries(changes)) entries[name] = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return storedZip(Object.entries(entries).flatMap(([name, data]) => (data ? [{ name, data }] : [])));
  }

  beforeAll(async () => {
    const simRoot = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    rt = new SimRuntime({ root: simRoot });
    port = await freePort();
    manifest = await fixturePaperManifest();
    await rt.create({ vmid: VMID, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    const spec = { vmid: VMID, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: port, rconPort: port + 1, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw" };
    await rt.withGuest(VMID, (guest) => placeServer(guest, spec, manifest, cache));
    dir = join(simRoot, String(VMID), "rootfs", SERVER_DIR);
  });
  afterAll(async () => {
    if ((await rt.inspect(VMID))?.state === "running") await rt.stop(VMID, 2000);
  });

  it("places Paperclip and Mojang's jar where Paperclip looks: it would start the game with no network, and so does the sim", async () => {
    expect((await rt.withGuest(VMID, (guest) => readRecord(guest)))).toMatchObject({ type: "paper", jar: PAPER_SERVER_JAR });
    expect(await paperclipLaunchDecision(dir, PAPER_SERVER_JAR)).toEqual({ launches: true, jar: PAPER_SERVER_JAR, mainClass: "io.papermc.paper.PaperBootstrap" });
    const sim = await boot();
    expect(sim.answered).toBe(true);
    expect(sim.log).toContain("Starting io.papermc.paper.PaperBootstrap");
  });

  it("would download Mojang's jar when it is missing, or not the one the download context names", async () => {
    await expectRefusal(MOJANG_CACHE, null, "Downloading mojang_1.21.1.jar", true);
    const other = storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode("Manifest-Version: 1.0\r\nMain-Class: net.minecraft.bundler.Main\r\n\r\n") }]);
    await expectRefusal(MOJANG_CACHE, other, "Downloading mojang_1.21.1.jar", true);
  });

  it("refuses what Paperclip refuses outright: the JVM's checks, patches without a download context, a missing patch or library, no main class", async () => {
    await expectRefusal(PAPER_SERVER_JAR, null, "Error: Unable to access jarfile paper.jar", false);
    await expectRefusal(PAPER_SERVER_JAR, await paperJarWith({ "META-INF/download-context": null }), "patches.list file found without a corresponding original-url file", false);
    await expectRefusal(PAPER_SERVER_JAR, await paperJarWith({ "META-INF/versions/1.21.1/paper-1.21.1.jar.patch": null }), "Patch file not found: /META-INF/versions/1.21.1/paper-1.21.1.jar.patch", false);
    await expectRefusal(PAPER_SERVER_JAR, await paperJarWith({ "META-INF/versions/1.21.1/paper-1.21.1.jar.patch": "tampered" }), "Hash check of patch file failed", false);
    await expectRefusal(
      PAPER_SERVER_JAR,
      await paperJarWith({ "META-INF/libraries/com/google/guava/guava/33.3.1-jre/guava-33.3.1-jre.jar": null }),
      "com/google/guava/guava/33.3.1-jre/guava-33.3.1-jre.jar not found in our jar or in the original jar",
      false,
    );
    await expectRefusal(PAPER_SERVER_JAR, await paperJarWith({ "META-INF/download-context": "only\ttwo" }), "Invalid download-context line: only\ttwo", false);
    await expectRefusal(PAPER_SERVER_JAR, await paperJarWith({ "META-INF/main-class": null }), "Failed to read main-class file", false);
    expect((await boot()).answered).toBe(true);
  });

  it("then refuses without eula=true, as Minecraft does", async () => {
    await writeFile(join(dir, "eula.txt"), "eula=false\n");
    expect((await boot()).log).toMatch(/You need to agree to the EULA in order to run the server/);
    await writeFile(join(dir, "eula.txt"), "eula=true\n");
  });
});
