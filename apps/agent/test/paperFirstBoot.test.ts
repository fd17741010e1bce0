import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PAPER_SERVER_JAR, paperclipLaunchDecision, storedZip } from "@zlh/artifacts";
import { fixturePaperManifest } from "@zlh/testing";
import { readRecord } from "../src/placement/placeServer";
import { simFirstBoot, type SimFirstBoot } from "./support/simFirstBoot";

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
  let sim: SimFirstBoot;
  let dir: string;
  const boot = () => sim.boot();

  /** Breaks `file`, checks both deciders refuse with `reason` (and whether it is the network that is missing), then puts it back. */
  async function expectRefusal(file: string, broken: Uint8Array | null, reason: string, needsNetwork: boolean) {
    const saved = await readFile(join(dir, file));
    if (broken === null) await rm(join(dir, file));
    else await writeFile(join(dir, file), broken);
    const decision = await paperclipLaunchDecision(dir, PAPER_SERVER_JAR);
    expect(decision).toMatchObject({ launches: false, needsNetwork });
    expect(decision.launches === false && decision.reason).toContain(reason);
    const booted = await boot();
    expect(booted.answered, file).toBe(false);
    expect(booted.log).toContain(reason);
    await writeFile(join(dir, file), saved);
  }

  /** paper.jar with some of its entries replaced (null: removed), stored. */
  async function paperJarWith(changes: Record<string, string | Uint8Array | null>): Promise<Uint8Array> {
    const entries = { ...unzipSync(await readFile(join(dir, PAPER_SERVER_JAR))) } as Record<string, Uint8Array | null>;
    for (const [name, data] of Object.entries(changes)) entries[name] = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return storedZip(Object.entries(entries).flatMap(([name, data]) => (data ? [{ name, data }] : [])));
  }

  beforeAll(async () => {
    sim = await simFirstBoot(VMID, SERVER, await fixturePaperManifest());
    dir = sim.dir;
  });
  afterAll(() => sim?.close());

  it("places Paperclip and Mojang's jar where Paperclip looks: it would start the game with no network, and so does the sim", async () => {
    expect(await sim.rt.withGuest(VMID, (guest) => readRecord(guest))).toMatchObject({ type: "paper", jar: PAPER_SERVER_JAR });
    expect(await paperclipLaunchDecision(dir, PAPER_SERVER_JAR)).toEqual({ launches: true, jar: PAPER_SERVER_JAR, mainClass: "io.papermc.paper.PaperBootstrap" });
    const booted = await boot();
    expect(booted.answered).toBe(true);
    expect(booted.log).toContain("Starting io.papermc.paper.PaperBootstrap");
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
