import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chooseNeoforge, metadataVersions, upstreamSource, USER_AGENT, type ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { NEOFORGE_METADATA_URL, resolveNeoforge } from "../src/serverTypes/neoforge";
import { checkPinnedBuild } from "../src/serverTypes/pinnedBuild";
import { recordedBody, recordedUpstream, sample } from "./upstreamSamples";

/**
 * NeoForge held against the real maven-metadata.xml of maven.neoforged.net
 * (recorded by itzg/mc-image-helper on 2026-04-11; fixtures/upstream-samples/README.md):
 * 1,499 versions, not in numeric order (21.1.226 is listed before 21.1.225),
 * betas, April-fools and snapshot alphas among them, and `<latest>` and
 * `<release>` both naming a beta. Running the installer is other tests'
 * (neoforge/); here the listing is read and the build chosen as resolution does.
 */
const { server: upstream, requested } = recordedUpstream(new Map([[NEOFORGE_METADATA_URL, recordedBody("neoforge/maven-metadata.xml", "application/xml")]]));
const listed = () => metadataVersions(sample("neoforge/maven-metadata.xml"));

/** Thrown where resolution, past choosing a build, first asks for Mojang's jar. */
class ChoseBuild extends Error {}

describe("NeoForge resolution against NeoForge's recorded maven-metadata.xml", () => {
  let database: Database;
  let source: ArtifactSource;
  const resolve = (minecraftVersion: string, loaderVersion?: string) =>
    resolveNeoforge({
      db: database.db,
      source,
      request: { type: "neoforge", minecraftVersion, loaderVersion, mods: [] },
      mojangServer: () => Promise.reject(new ChoseBuild()),
    });

  beforeAll(async () => {
    upstream.listen({ onUnhandledRequest: "error" });
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    upstream.close();
    await database.close();
  });
  beforeEach(() => {
    requested.length = 0;
    source = upstreamSource({ userAgent: USER_AGENT, sleep: async () => {} });
  });

  it("takes the numerically newest release for each game, whatever the listing's order and its <release> (a beta)", () => {
    const versions = listed();
    expect(versions).toHaveLength(1499);
    expect(versions.indexOf("21.1.226")).toBeLessThan(versions.indexOf("21.1.225"));
    expect(sample("neoforge/maven-metadata.xml")).toContain("<release>26.1.2.7-beta</release>");
    const chosen = Object.fromEntries(["1.20.2", "1.20.4", "1.21", "1.21.1", "1.21.11"].map((game) => [game, chooseNeoforge(versions, game).version]));
    expect(chosen).toEqual({ "1.20.2": "20.2.93", "1.20.4": "20.4.251", "1.21": "21.0.167", "1.21.1": "21.1.226", "1.21.11": "21.11.42" });
  });

  it("refuses a game whose builds are all betas unless one is pinned, and then takes the pinned beta", async () => {
    await expect(resolve("26.1.2")).rejects.toThrow(new ResolutionError("NeoForge has only beta builds for Minecraft 26.1.2; pin one with loaderVersion to run it."));
    expect(requested).toEqual([NEOFORGE_METADATA_URL]);
    await expect(resolve("26.1.2", "26.1.2.7-beta")).rejects.toBeInstanceOf(ChoseBuild);
    expect(chooseNeoforge(listed(), "26.1.2", "26.1.2.7-beta")).toMatchObject({ game: "26.1.2", beta: true });
  });

  it("refuses a pin NeoForge never published, and its snapshot alphas (listed, but not NeoForge versions we run)", async () => {
    await expect(resolve("1.21.1", "21.1.227")).rejects.toThrow(new ResolutionError("NeoForge has no build 21.1.227."));
    expect(listed()).toContain("26.1.0.0-alpha.15+pre-3");
    await expect(resolve("26.1", "26.1.0.0-alpha.15+pre-3")).rejects.toThrow(new ResolutionError('"26.1.0.0-alpha.15+pre-3" is not a NeoForge version (e.g. 21.1.77).'));
    await expect(checkPinnedBuild(source, { type: "neoforge", minecraftVersion: "26.1", loaderVersion: "26.1.0.0-alpha.15+pre-3" })).rejects.toThrow(UnknownBuildError);
  });
});
