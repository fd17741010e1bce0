import { describe, expect, it } from "vitest";
import { chooseNeoforge, downloadsMojmaps, metadataVersions, readInstallProfile, storedZip } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { ResolutionError } from "../src/fabric/errors";
import { NEOFORGE_METADATA_URL, resolveNeoforge } from "../src/serverTypes/neoforge";
import { checkPinnedBuild } from "../src/serverTypes/pinnedBuild";
import { recordedBody, recordedResolution, sample } from "./upstreamSamples";

/**
 * NeoForge held against the real maven-metadata.xml of maven.neoforged.net
 * (recorded by itzg/mc-image-helper on 2026-04-11; fixtures/upstream-samples/README.md):
 * 1,499 versions, not in numeric order (21.1.226 is listed before 21.1.225),
 * betas, April-fools and snapshot alphas among them, and `<latest>` and
 * `<release>` both naming a beta; and the install_profile.json and
 * version.json of 21.1.226, the build it gives 1.21.1 (recorded by
 * PrismLauncher/meta-upstream). Running the installer is other tests'
 * (neoforge/); here the listing is read, the build chosen and its profile
 * checked as resolution does.
 */
const listed = () => metadataVersions(sample("neoforge/maven-metadata.xml"));

/** Thrown where resolution, past choosing a build, first asks for Mojang's jar. */
class ChoseBuild extends Error {}

describe("NeoForge resolution against NeoForge's recorded maven-metadata.xml", () => {
  const upstream = recordedResolution(new Map([[NEOFORGE_METADATA_URL, recordedBody("neoforge/maven-metadata.xml", "application/xml")]]));
  const { requested } = upstream;
  const resolve = (minecraftVersion: string, loaderVersion?: string) =>
    resolveNeoforge(
      upstream.input(
        { type: "neoforge", minecraftVersion, loaderVersion, mods: [] },
        () => Promise.reject(new ChoseBuild()),
      ),
    );

  it("takes the numerically newest release for each game, whatever the listing's order and its <release> (a beta)", () => {
    const versions = listed();
    expect(versions).toHaveLength(1499);
    expect(versions.indexOf("21.1.226")).toBeLessThan(versions.indexOf("21.1.225"));
    expect(sample("neoforge/maven-metadata.xml")).toContain("<release>26.1.2.7-beta</release>");
    const chosen = Object.fromEntries(["1.20.2", "1.20.4", "1.21", "1.21.1", "1.21.11"].map((game) => [game, chooseNeoforge(versions, game).version]));
    expect(chosen).toEqual({ "1.20.2": "20.2.93", "1.20.4": "20.4.251", "1.21": "21.0.167", "1.21.1": "21.1.226", "1.21.11": "21.11.42" });
  });

  it("does not refuse a game Mojang publishes no server mappings for (26.1 on): only an installer step that needs them does (neoforge/install.ts)", async () => {
    const mojang = { path: "server.jar", url: "https://piston-data.mojang.com/v1/objects/x/server.jar", size: 1, sha512: "0".repeat(128), sha1: "0".repeat(40), kind: "server" as const };
    const input = upstream.input({ type: "neoforge", minecraftVersion: "1.21.1", mods: [] }, async () => mojang, async () => null);
    // Past the mappings, resolution goes on to the install, which first asks for the game's Java.
    await expect(resolveNeoforge({ ...input, javaMajor: () => Promise.reject(new ChoseBuild()) })).rejects.toBeInstanceOf(ChoseBuild);
  });

  it("refuses a game whose builds are all betas unless one is pinned, and then takes the pinned beta", async () => {
    await expect(resolve("26.1.2")).rejects.toThrow(new ResolutionError("NeoForge has only beta builds for Minecraft 26.1.2; pin one with loaderVersion to run it."));
    expect(requested).toEqual([NEOFORGE_METADATA_URL]);
    await expect(resolve("26.1.2", "26.1.2.7-beta")).rejects.toBeInstanceOf(ChoseBuild);
    expect(chooseNeoforge(listed(), "26.1.2", "26.1.2.7-beta")).toMatchObject({ game: "26.1.2", beta: true });
  });

  it("refuses a pin the listing does not hold, and its snapshot alphas (listed, but not NeoForge versions we run)", async () => {
    await expect(resolve("1.21.1", "21.1.227")).rejects.toThrow(new ResolutionError("NeoForge has no build 21.1.227."));
    expect(listed()).toContain("26.1.0.0-alpha.15+pre-3");
    await expect(resolve("26.1", "26.1.0.0-alpha.15+pre-3")).rejects.toThrow(new ResolutionError('"26.1.0.0-alpha.15+pre-3" is not a NeoForge version (e.g. 21.1.77).'));
    await expect(checkPinnedBuild(upstream.source, { type: "neoforge", minecraftVersion: "26.1", loaderVersion: "26.1.0.0-alpha.15+pre-3" })).rejects.toThrow(UnknownBuildError);
  });

  it("reads 21.1.226's real install profile: every library pinned by sha1 on NeoForge's or Mojang's host, and the processors a server install runs", () => {
    const installer = storedZip(["install_profile.json", "version.json"].map((name) => ({ name, data: new TextEncoder().encode(sample(`neoforge/21.1.226-${name}`)) })));
    const profile = readInstallProfile(installer);
    expect(profile).toMatchObject({ version: "21.1.226", minecraft: "1.21.1", mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher" });
    expect(profile.serverJarPath).toBe("{LIBRARY_DIR}/net/minecraft/server/{MINECRAFT_VERSION}/server-{MINECRAFT_VERSION}.jar");
    expect(profile.libraries).toHaveLength(70);
    expect(new Set(profile.libraries.map((l) => new URL(l.url).host))).toEqual(new Set(["maven.neoforged.net", "libraries.minecraft.net"]));
    expect(profile.libraries).toContainEqual({
      name: "net.neoforged:neoforge:21.1.226:universal",
      path: "net/neoforged/neoforge/21.1.226/neoforge-21.1.226-universal.jar",
      url: "https://maven.neoforged.net/releases/net/neoforged/neoforge/21.1.226/neoforge-21.1.226-universal.jar",
      sha1: "974b795706c79f69f6274baf6b10f5912f27b558",
      size: 3528068,
    });
    // Processors with no `sides` run on a server too: the real profile remaps and patches the game there, and fetches
    // Mojang's mappings (DOWNLOAD_MOJMAPS) unless the installer finds them in its local source, where the resolution
    // pre-places them (docs/server-types.md); the stand-in's profile is held to this one (neoforge/standinProfile.test.ts).
    const tasks = profile.processors.map((p) => (p.args.includes("--task") ? p.args[p.args.indexOf("--task") + 1] : p.jar));
    expect(tasks).toEqual([
      "EXTRACT_FILES",
      "BUNDLER_EXTRACT",
      "BUNDLER_EXTRACT",
      "MCP_DATA",
      "DOWNLOAD_MOJMAPS",
      "MERGE_MAPPING",
      "net.neoforged.installertools:jarsplitter:2.1.2",
      "net.neoforged:AutoRenamingTool:2.0.3:all",
      "net.neoforged.installertools:binarypatcher:2.1.2:fatjar",
    ]);
    expect(profile.data.MOJMAPS).toBe("[net.minecraft:server:1.21.1-20240808.144430:mappings@txt]");
    // Its DOWNLOAD_MOJMAPS has no sides, so a server install needs Mojang's mappings (refused for a game without them).
    expect(profile.processors.filter(downloadsMojmaps)).toHaveLength(1);
  });
});
