import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { fabricLaunchJarPath, isBuilt, type FabricLoaderEntry } from "@zlh/artifacts";
import { ResolutionError } from "../src/fabric/errors";
import { chooseLoader, resolveFabric } from "../src/serverTypes/fabric";
import { resolveMods } from "../src/fabric/modrinth";
import { resolveVanillaServer } from "../src/fabric/mojang";
import { recorded, recordedBody, recordedResolution, sample, standInJar } from "./upstreamSamples";

/**
 * Resolution held against what the real services send: the recorded responses
 * in fixtures/upstream-samples (sources in its README), served through msw
 * with their recorded status codes. The real jars are not recorded; small
 * stand-in jars take their place.
 */
const META = "https://meta.fabricmc.net/v2";
const MAVEN = "https://maven.fabricmc.net";
const routes = new Map<string, () => Response>([
  [`${META}/versions/loader/1.19.2`, recorded("fabric-meta/wiremock-v2-versions-loader-1.19.2.json")],
  [`${META}/versions/installer`, recorded("fabric-meta/wiremock-v2-versions-installer.json")],
  // EndpointsV2: a game meta does not know is 400 with an empty list.
  [`${META}/versions/loader/1.21.99`, () => new HttpResponse("[]", { status: 400, headers: { "content-type": "application/json" } })],
  [`${MAVEN}/net/fabricmc/fabric-loader/0.14.12/fabric-loader-0.14.12.jar`, standInJar("fabric-loader 0.14.12", "net.fabricmc.loader.impl.launch.server.FabricServerLauncher")],
  [`${MAVEN}/net/fabricmc/fabric-installer/0.11.1/fabric-installer-0.11.1-server.jar`, standInJar("fabric-installer 0.11.1 server", "net.fabricmc.installer.ServerLauncher")],
  ["https://piston-meta.mojang.com/mc/game/version_manifest_v2.json", recordedBody("mojang/version_manifest_v2.json")],
  ["https://piston-meta.mojang.com/v1/packages/9d4b0811c18ea0e0968693b971233c49d89b9ced/1.21.1.json", recordedBody("mojang/1.21.1.json")],
  ["https://api.modrinth.com/v2/project/fabric-api", recordedBody("modrinth/project-fabric-api.json")],
  ["https://api.modrinth.com/v2/project/P7dR8mSH", recordedBody("modrinth/project-fabric-api.json")],
  [`https://api.modrinth.com/v2/project/P7dR8mSH/version?loaders=%5B%22fabric%22%5D&game_versions=%5B%221.19.2%22%5D`, recordedBody("modrinth/project-fabric-api-version-fabric-1.19.2.json")],
  ["https://api.modrinth.com/v2/project/P7dR8mSH/version", recordedBody("modrinth/project-fabric-api-version-fabric-1.19.2.json")],
]);

describe("resolution against recorded real upstream responses", () => {
  // Every other Fabric maven file (the libraries) is a stand-in jar; the rest is unknown upstream.
  const upstream = recordedResolution(routes, (url) => (url.startsWith(`${MAVEN}/`) && url.endsWith(".jar") ? standInJar(url)() : undefined));
  const { requested, sleeps } = upstream;

  it("takes meta's one stable loader by default, and refuses unknown and too-old pins by meta's own rules", () => {
    // meta-v2/loader.json: 251 loaders, newest first, exactly one stable. The list is the same for every game.
    const loaders = JSON.parse(sample("fabric-meta/v2-versions-loader.json")) as FabricLoaderEntry["loader"][];
    expect(loaders.filter((l) => l.stable).map((l) => l.version)).toEqual(["0.19.3"]);
    const entries = loaders.map((loader) => ({ loader }));
    expect(chooseLoader(entries).loader.version).toBe("0.19.3");
    expect(chooseLoader(entries, "0.16.5").loader.version).toBe("0.16.5");
    expect(() => chooseLoader(entries, "0.11.7")).toThrow("Fabric loader 0.12 or higher is required for unattended server installs");
    expect(() => chooseLoader(entries, "0.99.0")).toThrow("Fabric has no loader 0.99.0.");
  });

  it("resolves Fabric from meta's recorded answers into a complete install that never asks meta for its launcher", async () => {
    const fabric = await resolveFabric(upstream.database.db, upstream.source, "1.19.2");
    expect({ loader: fabric.loader, installer: fabric.installer }).toEqual({ loader: "0.14.12", installer: "0.11.1" });
    const launch = fabric.files.find((f) => f.path === fabricLaunchJarPath("0.14.12", "1.19.2"))!;
    expect(launch.kind).toBe("launch");
    if (!isBuilt(launch) || launch.kind !== "launch") throw new Error("the launch jar must be a built file");
    // Meta's launcherMeta for 0.14.12 (version 1) names KnotServer; the loader jar names the launcher's Main-Class.
    expect(launch.build.launchMainClass).toBe("net.fabricmc.loader.impl.launch.knot.KnotServer");
    expect(launch.build.mainClass).toBe("net.fabricmc.loader.impl.launch.server.FabricServerLauncher");
    const libraries = fabric.files.filter((f) => f.kind === "library").map((f) => f.path);
    expect(launch.build.classPath).toEqual(libraries.map((p) => `../../${p}`));
    expect(libraries).toContain("libraries/net/fabricmc/intermediary/1.19.2/intermediary-1.19.2.jar");
    expect(libraries.at(-1)).toBe("libraries/net/fabricmc/fabric-loader/0.14.12/fabric-loader-0.14.12.jar");
    expect(requested.some((u) => u.includes("/server/jar"))).toBe(false);
  });

  it("treats meta's 400 for an unknown game as a final refusal, at once, with no retry", async () => {
    const err = await resolveFabric(upstream.database.db, upstream.source, "1.21.99").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toBe("Fabric does not support Minecraft 1.21.99 (Fabric meta answered 400).");
    expect(sleeps).toEqual([]);
    expect(requested.filter((u) => u.endsWith("/1.21.99"))).toHaveLength(1);
  });

  it("finds 2026 versions in Mojang's real manifest, and checks the server jar against the sha1 Mojang publishes", async () => {
    const manifest = JSON.parse(sample("mojang/version_manifest_v2.json")) as { versions: { id: string }[] };
    expect(manifest.versions.map((v) => v.id)).toEqual(expect.arrayContaining(["26.1", "26.2-pre-1", "26.2-rc-1", "26.3-snapshot-9"]));
    // The real 1.21.1 JSON pins sha1 59353fb4... and 51,627,615 bytes: a stand-in jar is refused.
    routes.set("https://piston-data.mojang.com/v1/objects/59353fb40c36d304f2035d51e7d6e6baa98dc05c/server.jar", standInJar("not the real server jar"));
    await expect(resolveVanillaServer(upstream.database.db, upstream.source, "1.21.1")).rejects.toThrow(/hash mismatch|size mismatch/);
  });

  it("resolves Modrinth's real version lists: newest release, and a pin whose only file is not primary", async () => {
    const newest = await resolveMods(upstream.source, "1.19.2", [{ project: "fabric-api" }]);
    expect(newest.mods).toEqual([{ projectId: "P7dR8mSH", versionId: "fO05PwUR", versionNumber: "0.76.1+1.19.2", reason: "requested" }]);
    const pinned = await resolveMods(upstream.source, "1.19.2", [{ project: "fabric-api", version: "0.60.0+1.19.2" }]);
    expect(pinned.files).toEqual([expect.objectContaining({ path: "mods/fabric-api-0.60.0+1.19.2.jar", kind: "mod" })]);
    expect((pinned.files[0] as { url: string }).url).toMatch(/^https:\/\/cdn\.modrinth\.com\/data\/P7dR8mSH\/versions\//);
  });
});
