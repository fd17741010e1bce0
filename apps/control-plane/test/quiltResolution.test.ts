import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildQuiltLaunchJar, mirrorSource, OFFLINE_MIRROR_DIR, parseJavaManifest, QUILT_LAUNCHER_JAR, sha512Hex, zipEntry, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";
import { rewritingMirror } from "./rewritingMirror";

const META = "https://meta.quiltmc.org/v3/versions/loader/1.21.1";
const QUILT_MAVEN = "https://maven.quiltmc.org/repository/release/";
const LIBRARIES = [
  "libraries/net/fabricmc/sponge-mixin/0.15.3+mixin.0.8.7/sponge-mixin-0.15.3+mixin.0.8.7.jar",
  "libraries/org/quiltmc/quilt-json5/1.0.4+final/quilt-json5-1.0.4+final.jar",
  "libraries/org/ow2/asm/asm/9.6/asm-9.6.jar",
  "libraries/org/ow2/asm/asm-tree/9.6/asm-tree-9.6.jar",
  "libraries/org/quiltmc/quilt-config/1.3.2/quilt-config-1.3.2.jar",
  "libraries/org/quiltmc/hashed/1.21.1/hashed-1.21.1.jar",
  "libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar",
  "libraries/org/quiltmc/quilt-loader/0.26.4/quilt-loader-0.26.4.jar",
];

describe("resolving a Quilt server", () => {
  let database: Database;
  /** A second database, where no library is pinned yet (a pinned one is never downloaded, so never checked, again). */
  let unpinned: Database;
  const offline = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  type More = { game?: string; loaderVersion?: string; mods?: { project: string }[]; db?: Database };
  const resolve = (source: ArtifactSource, more: More = {}) =>
    resolveManifest((more.db ?? database).db, source, { type: "quilt", minecraftVersion: more.game ?? "1.21.1", loaderVersion: more.loaderVersion ?? null, mods: more.mods ?? [] });
  /** The offline mirror, counting the Maven `.sha1` files asked for. */
  const counting = () => {
    const asked: string[] = [];
    // Without fetchStream, resolution reads every file through this fetchBytes (it streams a source's fetchStream when it has one).
    const source: ArtifactSource = { ...offline, fetchStream: undefined, fetchBytes: (url: string) => (url.endsWith(".sha1") && asked.push(url), offline.fetchBytes(url)) };
    return { source, asked };
  };

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    unpinned = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    await database.close();
    await unpinned.close();
  });

  it("pins the newest loader without a `-` (the installer's rule; the newest listed is a beta), every library of its server profile, the launch jar and Mojang's jar at server.jar", async () => {
    const first = counting();
    const m = await resolve(first.source);
    expect(m).toMatchObject({ type: "quilt", launch: { jar: QUILT_LAUNCHER_JAR }, loader: "0.26.4", installer: "", mods: [] });
    expect(first.asked.length).toBe(LIBRARIES.length);
    expect(m.files.map((f) => f.path)).toEqual([...LIBRARIES, QUILT_LAUNCHER_JAR, "server.jar"].sort());
    const launch = m.files.find((f) => f.path === QUILT_LAUNCHER_JAR)!;
    expect(launch).toMatchObject({ kind: "quiltLaunch", build: { mainClass: "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher", classPath: LIBRARIES } });
    // The pinned hash is the hash of the jar the installer's recipe makes, and that jar's manifest is the installer's.
    const bytes = buildQuiltLaunchJar((launch as { build: { mainClass: string; classPath: string[] } }).build);
    expect([launch.size, launch.sha512]).toEqual([bytes.byteLength, sha512Hex(bytes)]);
    const mf = parseJavaManifest(new TextDecoder().decode(zipEntry(bytes, "META-INF/MANIFEST.MF")!));
    expect([...mf.entries()]).toEqual([
      ["Manifest-Version", "1.0"],
      ["Main-Class", "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher"],
      ["Class-Path", LIBRARIES.join(" ")],
    ]);
    // Every library is pinned by what its Maven repository publishes beside it.
    for (const f of m.files.filter((x) => x.path.startsWith("libraries/"))) {
      const url = (f as { url: string }).url;
      expect(new TextDecoder().decode(await offline.fetchBytes(`${url}.sha1`))).toBe((f as { sha1: string }).sha1);
    }
    // Resolved again: the same manifest from the recorded digests, and Maven is not asked for a .sha1 again.
    const again = counting();
    expect(await resolve(again.source)).toEqual(m);
    expect(again.asked).toEqual([]);
  });

  it("takes a pinned loader that meta lists, a beta too, and refuses one it does not, and a game meta does not know (its 404)", async () => {
    expect((await resolve(offline, { loaderVersion: "0.27.0-beta.1" })).loader).toBe("0.27.0-beta.1");
    await expect(resolve(offline, { loaderVersion: "0.99.0" })).rejects.toThrow(new ResolutionError("Quilt has no loader 0.99.0 (Specified loader version 0.99.0 was not found)."));
    await expect(resolve(offline, { game: "26.1" })).rejects.toThrow(new ResolutionError("Quilt does not support Minecraft 26.1 (Quilt meta answered 404)."));
    const onlyBetas = rewritingMirror((url, body) => (url === META ? (body as { loader: object }[]).slice(0, 1) : body));
    await expect(resolve(onlyBetas)).rejects.toThrow(new ResolutionError("Quilt meta lists no stable loader (every loader is a beta)."));
  });

  it("resolves Quilt mods and Fabric mods for a Quilt server (Quilt loads both), while a Fabric server cannot have a Quilt-only mod", async () => {
    const m = await resolve(offline, { mods: [{ project: "qsl" }, { project: "lithium" }] });
    expect(m.mods.map((x) => [x.projectId, x.versionId])).toEqual([
      ["gvQqBUqZ", "5szYtenV"],
      ["qvIfYCYJ", "qsl71211"],
    ]);
    expect(m.files.filter((f) => f.path.startsWith("mods/")).map((f) => f.path)).toEqual(["mods/lithium-mc1.21.1-0.13.0.jar", "mods/qsl-10.0.0-alpha.1+1.21.1.jar"]);
    await expect(resolveManifest(database.db, offline, { type: "fabric", minecraftVersion: "1.21.1", mods: [{ project: "qsl" }] })).rejects.toThrow(
      new ResolutionError('Mod "qsl" (requested) has no version for Minecraft 1.21.1 with Fabric.'),
    );
  });

  it("refuses a library whose bytes are not what Maven's .sha1 says, one Maven publishes no .sha1 for, and a profile the installer itself would refuse", async () => {
    const config = `${QUILT_MAVEN}org/quiltmc/quilt-config/1.3.2/quilt-config-1.3.2.jar`;
    const otherSha1: ArtifactSource = { ...offline, fetchStream: undefined, fetchBytes: async (url: string) => (url === `${config}.sha1` ? new TextEncoder().encode(`${"ab".repeat(20)}  quilt-config-1.3.2.jar\n`) : offline.fetchBytes(url)) };
    await expect(resolve(otherSha1, { loaderVersion: "0.26.3", db: unpinned })).rejects.toThrow(`hash mismatch for ${config}: upstream publishes sha1 ${"ab".repeat(20)}`);
    const noSha1: ArtifactSource = { ...offline, fetchStream: undefined, fetchBytes: (url: string) => offline.fetchBytes(url.endsWith(".sha1") ? `${url}.missing` : url) };
    await expect(resolve(noSha1, { loaderVersion: "0.26.3", db: unpinned })).rejects.toThrow(/^upstream publishes no sha1 for (https:\/\/maven\.\S+\.jar) \(\1\.sha1 answered 404\); refused unpinned$/);
    const noMain = rewritingMirror((url, body) => (url.endsWith("/server/json") ? { ...(body as object), launcherMainClass: undefined } : body));
    await expect(resolve(noMain)).rejects.toThrow(new ResolutionError("Quilt loader 0.26.4: launcherMainClass in server launch json was not present."));
    const noLibraries = rewritingMirror((url, body) => (url.endsWith("/server/json") ? { ...(body as object), libraries: [] } : body));
    await expect(resolve(noLibraries)).rejects.toThrow(new ResolutionError("Quilt loader 0.26.4: No libraries were specified!"));
    for (const name of ["org.quiltmc:..:1", "org.quiltmc:two words:1"]) {
      const unusable = rewritingMirror((url, body) => (url.endsWith("/server/json") ? { ...(body as object), libraries: [{ name, url: QUILT_MAVEN }] } : body));
      await expect(resolve(unusable)).rejects.toThrow(new ResolutionError(`Quilt loader 0.26.4 lists an unusable library ${JSON.stringify(name)}.`));
    }
    const plainHttp = rewritingMirror((url, body) => (url.endsWith("/server/json") ? { ...(body as object), libraries: [{ name: "org.quiltmc:x:1", url: "http://maven.example/" }] } : body));
    await expect(resolve(plainHttp)).rejects.toThrow(/lists an unusable library/);
    // A library on any other host (an internal address, say) is never fetched.
    const elsewhere = rewritingMirror((url, body) => (url.endsWith("/server/json") ? { ...(body as object), libraries: [{ name: "org.quiltmc:x:1", url: "https://10.0.0.5/" }] } : body));
    await expect(resolve(elsewhere)).rejects.toThrow(new ResolutionError("Quilt loader 0.26.4 lists library org.quiltmc:x:1 on 10.0.0.5, which is not one of Quilt's Mavens (maven.quiltmc.org, maven.fabricmc.net)."));
  });
});
