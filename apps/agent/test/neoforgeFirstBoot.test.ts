import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError, installerFileUrl, neoforgeArgFiles, neoforgeLaunchDecision, type Manifest } from "@zlh/artifacts";
import { readProducedTree } from "../../control-plane/src/neoforge/producedTree";
import { runInstaller } from "../../control-plane/src/neoforge/runInstaller";
import { mojangBundler } from "../../control-plane/test/neoforge/mojangBundler";
import { buildStandinNeoforge, standinServerMappings } from "../../../scripts/standinGame/neoforgeInstaller";
import { simFirstBoot, type SimFirstBoot } from "./support/simFirstBoot";

const SERVER = "5e0f0a2b-8c1d-4b7e-9f3a-2d4c6e8a0b1c";
const VMID = 7131;
const GAME = "1.21.1";
const VERSION = "21.1.77";
const ARGS = neoforgeArgFiles(VERSION);

/**
 * A NeoForge server's first boot: the tree the (stand-in) installer made,
 * placed as a manifest of `installed` files, started with `java
 * @user_jvm_args.txt @.../unix_args.txt nogui`. The decision is the JVM's
 * (neoforgeLaunchDecision); the simulated server reads the args files from
 * what placement recorded and must decide the same way on the same
 * directory: start and answer, or refuse with the same words.
 */
describe("NeoForge first boot with no network", () => {
  let sim: SimFirstBoot;
  let dir: string;

  beforeAll(async () => {
    const mojang = mojangBundler(GAME);
    const neo = await buildStandinNeoforge({ version: VERSION, game: GAME, mojangInner: mojang.inner });
    const run = await runInstaller({
      installer: neo.installer,
      installerName: `neoforge-${VERSION}-installer.jar`,
      preplaced: [...neo.libraries.map((l) => ({ path: `libraries/${l.path}`, bytes: l.bytes })), { path: `libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`, bytes: mojang.bundler }],
      local: [{ path: `minecraft/${GAME}/server_mappings.txt`, bytes: standinServerMappings(GAME) }],
    });
    const tree = await readProducedTree(run.serverDir).finally(() => run.dispose());
    const bytes = new Map(tree.map((f) => [installerFileUrl(f.sha512), f.bytes]));
    const manifest: Manifest = {
      schema: 2,
      type: "neoforge",
      launch: { argFiles: ARGS },
      game: GAME,
      loader: VERSION,
      installer: VERSION,
      mods: [],
      files: tree.map((f) => ({ path: f.path, url: installerFileUrl(f.sha512), size: f.size, sha512: f.sha512, sha1: f.sha1, kind: "installed" as const })),
    };
    const fetchBytes = async (url: string) => {
      const b = bytes.get(url);
      if (!b) throw new ArtifactNotFoundError(url);
      return b;
    };
    sim = await simFirstBoot(VMID, SERVER, manifest, { kind: "mirror", fetchBytes, fetchJson: async (url) => JSON.parse(new TextDecoder().decode(await fetchBytes(url))) });
    dir = sim.dir;
  });
  afterAll(() => sim?.close());

  /** Removes `path`, checks both deciders refuse with `reason`, then puts it back. */
  async function expectRefusal(path: string, reason: string) {
    const saved = await readFile(join(dir, path));
    await rm(join(dir, path));
    try {
      expect(await neoforgeLaunchDecision(dir, ARGS)).toEqual({ launches: false, needsNetwork: false, reason });
      const booted = await sim.boot();
      expect(booted.answered).toBe(false);
      expect(booted.log).toContain(reason);
    } finally {
      await writeFile(join(dir, path), saved);
    }
  }

  it("starts what placement put there: both deciders launch BootstrapLauncher, and the sim answers", async () => {
    expect(await neoforgeLaunchDecision(dir, ARGS)).toMatchObject({ launches: true, mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
    const booted = await sim.boot();
    expect(booted.answered).toBe(true);
    expect(booted.log).toContain("Starting cpw.mods.bootstraplauncher.BootstrapLauncher (NeoForge)");
  });

  it("refuses, as the JVM would, a missing args file, a main class in no jar, and a missing library", async () => {
    await expectRefusal("user_jvm_args.txt", "Error: could not open `user_jvm_args.txt'");
    await expectRefusal(ARGS[1]!, `Error: could not open \`${ARGS[1]}'`);
    await expectRefusal(
      "libraries/cpw/mods/bootstraplauncher/2.0.2/bootstraplauncher-2.0.2.jar",
      "Error: Could not find or load main class cpw.mods.bootstraplauncher.BootstrapLauncher\nCaused by: java.lang.ClassNotFoundException: cpw.mods.bootstraplauncher.BootstrapLauncher",
    );
    await expectRefusal(`libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar`, `a library the launch names is missing: libraries/net/minecraft/server/${GAME}/server-${GAME}-unpacked.jar`);
    expect((await sim.boot()).answered).toBe(true); // everything back: it starts again
  });
});
