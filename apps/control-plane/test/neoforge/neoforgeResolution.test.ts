import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError, mirrorSource, neoforgeArgFiles, OFFLINE_MIRROR_DIR, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../../src/fabric/errors";
import { resolveManifest } from "../../src/fabric/resolveManifest";
import { SandboxUnavailableError } from "../../src/neoforge/runInstaller";
import { buildStandinNeoforge, mirroredMojangInner, neoforgeMavenFiles } from "../../../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";

const GAME = "1.21.1";
const LISTED = ["21.0.167", "21.1.1-beta", "21.1.9", "21.1.77", "21.2.1-beta"];
const NEOFORGE_QUERY = /^https:\/\/api\.modrinth\.com\/v2\/project\/([^/]+)\/version\?loaders=%5B%22neoforge%22%5D&game_versions=(.*)$/;

/**
 * The offline mirror, NeoForge's Maven for 21.1.9 and 21.1.77, and Modrinth
 * answering the neoforge loader as it does: lithium has a NeoForge build
 * (its Fabric one relabelled), any other project none (Modrinth's `[]`).
 */
async function upstream(): Promise<ArtifactSource> {
  const inner = await mirroredMojangInner(GAME);
  const builds = await Promise.all(["21.1.9", "21.1.77"].map((version) => buildStandinNeoforge({ version, game: GAME, mojangInner: inner })));
  const files = new Map(neoforgeMavenFiles(builds, LISTED));
  const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  const fetchBytes = async (url: string) => files.get(url) ?? mirror.fetchBytes(url);
  const fetchJson = async <T>(url: string): Promise<T> => {
    const q = NEOFORGE_QUERY.exec(url);
    if (!q) return mirror.fetchJson<T>(url);
    if (q[1] !== "gvQqBUqZ") return [] as T;
    const fabric = await mirror.fetchJson<{ loaders: string[] }[]>(url.replace("%22neoforge%22", "%22fabric%22"));
    return fabric.map((v) => ({ ...v, loaders: ["neoforge"] })) as T;
  };
  return { kind: "mirror", fetchBytes, fetchJson };
}

describe("resolving a NeoForge server", () => {
  let database: Database;
  let source: ArtifactSource;
  const resolve = (extra: { loaderVersion?: string; mods?: { project: string }[]; minecraftVersion?: string } = {}, neoforgeJava = standinInstallerJava(21)) =>
    resolveManifest(database.db, source, { type: "neoforge", minecraftVersion: extra.minecraftVersion ?? GAME, loaderVersion: extra.loaderVersion, mods: extra.mods ?? [] }, { neoforgeJava });
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 4 });
    source = await upstream();
  });
  afterAll(async () => {
    await database.close();
  });

  it("refuses, retryably, to install with a configured java older than the game's (Mojang's javaVersion for 1.21.1: 21)", async () => {
    const java17 = standinInstallerJava(17);
    const err = await resolve({}, java17).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxUnavailableError);
    expect((err as Error).message).toBe(
      `NeoForge 21.1.77 for Minecraft 1.21.1 needs Java 21 or newer to install, and ZLH_NEOFORGE_JAVA is ${JSON.stringify(java17)}: ${java17} is Java 17; the installer was not run. Point ZLH_NEOFORGE_JAVA at a Java 21 (see docs/server-types.md).`,
    );
  });

  it("pins the newest release for the game with its installer's tree, started from its args files, with Modrinth's NeoForge mods", async () => {
    const m = await resolve({ mods: [{ project: "lithium" }] });
    expect(m).toMatchObject({ type: "neoforge", game: GAME, loader: "21.1.77", launch: { argFiles: neoforgeArgFiles("21.1.77") } });
    expect(m.mods).toEqual([expect.objectContaining({ projectId: "gvQqBUqZ", reason: "requested" })]);
    const kinds = Object.fromEntries(m.files.map((f) => [f.path, f.kind]));
    expect(kinds["libraries/net/neoforged/neoforge/21.1.77/unix_args.txt"]).toBe("installed");
    expect(kinds[`libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`]).toBe("server");
    expect(kinds["libraries/net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar"]).toBe("library");
    // Mojang's server mappings, as the mirror's version JSON publishes them, copied by the installer to {MOJMAPS}.
    const mojang = await source.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
    const published = (await source.fetchJson<{ downloads: { server_mappings: { url: string; sha1: string; size: number } } }>(mojang.versions.find((v) => v.id === GAME)!.url)).downloads.server_mappings;
    const mappings = m.files.find((f) => f.path === `libraries/net/minecraft/server/${GAME}-20240808.144430/server-${GAME}-20240808.144430-mappings.txt`);
    expect(mappings).toMatchObject({ kind: "library", url: published.url, sha1: published.sha1, size: published.size });
    expect(m.files.filter((f) => f.kind === "mod")).toHaveLength(1);
    expect(m.java).toMatchObject({ major: 21 });
  });

  it("runs a new build's installer within the operator's memory bound (ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES), and fails saying so past it", async () => {
    // Far too little for a JVM: the real one is killed in its cgroup, and the build's resolution says why.
    const err = await resolveManifest(database.db, source, { type: "neoforge", minecraftVersion: GAME, loaderVersion: "21.1.9", mods: [] }, { neoforgeInstallerMemoryBytes: 16 * 1024 * 1024, neoforgeJava: standinInstallerJava(21) }).catch((e) => e);
    expect(err).toBeInstanceOf(ResolutionError);
    expect(err.message).toContain("the NeoForge installer ran out of its memory bound (16 MiB, ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES) and was killed");
  });

  it("takes a pinned build, and refuses a pin for another game, one not listed, and a Fabric-only mod", async () => {
    expect((await resolve({ loaderVersion: "21.1.9" })).loader).toBe("21.1.9");
    await expect(resolve({ loaderVersion: "21.0.167" })).rejects.toThrow(new ResolutionError("NeoForge 21.0.167 is built for Minecraft 1.21, not 1.21.1."));
    await expect(resolve({ loaderVersion: "21.1.78" })).rejects.toThrow(new ResolutionError("NeoForge has no build 21.1.78."));
    await expect(resolve({ mods: [{ project: "fabric-api" }] })).rejects.toThrow(new ResolutionError('Mod "fabric-api" (requested) has no version for Minecraft 1.21.1 with NeoForge.'));
  });

  it("refuses when NeoForge's Maven has no listing", async () => {
    const none: ArtifactSource = { ...source, fetchBytes: async (url) => (url.endsWith("maven-metadata.xml") ? Promise.reject(new ArtifactNotFoundError(url)) : source.fetchBytes(url)) };
    await expect(resolveManifest(database.db, none, { type: "neoforge", minecraftVersion: GAME, mods: [] })).rejects.toThrow(new ResolutionError("NeoForge's Maven has no version listing (it answered 404)."));
  });
});
