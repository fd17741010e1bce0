import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fabricLaunchJarPath, manifestHash, mirrorPath, mirrorRefusalPath, OFFLINE_MIRROR_DIR, upstreamSource, USER_AGENT, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";

/**
 * "Upstream" is msw answering with the offline mirror's files, which are the
 * real APIs' responses in shape (Fabric meta, Mojang piston-meta, Modrinth v2).
 * Tests override single URLs to inject 429s and corrupt files.
 */
const overrides = new Map<string, () => Response>();
const seen: { url: string; ua: string | null }[] = [];
const upstream = setupServer(
  http.get(/^https:\/\/(meta\.fabricmc\.net|maven\.fabricmc\.net|piston-meta\.mojang\.com|piston-data\.mojang\.com|api\.modrinth\.com|cdn\.modrinth\.com|api\.adoptium\.net|github\.com)\//, async ({ request }) => {
    seen.push({ url: request.url, ua: request.headers.get("user-agent") });
    const override = overrides.get(request.url);
    if (override) return override();
    const body = await readFile(join(OFFLINE_MIRROR_DIR, mirrorPath(request.url))).catch(() => null);
    const refusal = await readFile(join(OFFLINE_MIRROR_DIR, mirrorRefusalPath(request.url)), "utf8").catch(() => null);
    if (refusal !== null) return new HttpResponse(refusal, { status: 400, headers: { "content-type": "application/json" } });
    if (!body) return HttpResponse.json({ error: "not_found", description: "the requested resource does not exist" }, { status: 404 });
    const isJson = !/\.jar$|\/jar$|server\.jar$|\.tar\.gz$/.test(new URL(request.url).pathname);
    return new HttpResponse(body, { headers: { "content-type": isJson ? "application/json" : "application/java-archive" } });
  }),
);

describe("manifest resolution against mocked upstreams", () => {
  let database: Database;
  const sleeps: number[] = [];
  let source: ArtifactSource;
  const resolve = (mods: { project: string; version?: string; allowPrerelease?: boolean }[] = [], loaderVersion?: string, game = "1.21.1") =>
    resolveManifest(database.db, source, { minecraftVersion: game, loaderVersion, mods });

  beforeAll(async () => {
    upstream.listen({ onUnhandledRequest: "error" });
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    upstream.close();
    await database.close();
  });
  beforeEach(() => {
    overrides.clear();
    sleeps.length = 0;
    source = upstreamSource({ userAgent: USER_AGENT, sleep: async (ms) => void sleeps.push(ms) });
  });

  it("picks meta's one stable loader, the newest stable installer and the newest release of each mod, pinning every file", async () => {
    const m = await resolve([{ project: "fabric-api" }]);
    expect({ schema: m.schema, game: m.game, loader: m.loader, installer: m.installer }).toEqual({ schema: 2, game: "1.21.1", loader: "0.19.3", installer: "1.0.1" });
    expect(m.mods).toEqual([{ projectId: "P7dR8mSH", versionId: "VwBUsRBM", versionNumber: "0.102.1+1.21.1", reason: "requested" }]);
    const paths = m.files.map((f) => f.path);
    expect(paths).toContain("fabric-server-launch.jar");
    expect(paths).toContain(fabricLaunchJarPath("0.19.3", "1.21.1"));
    // Mojang's javaVersion for 1.21.1 is 21: the newest GA Temurin 21 JRE Adoptium lists.
    expect(m.java).toMatchObject({ major: 21, release: "jdk-21.0.7+6", architecture: "x64", path: "/opt/zlh/java/21" });
    expect(paths).toContain(".fabric/server/1.21.1-server.jar");
    expect(paths).toContain("libraries/net/fabricmc/fabric-loader/0.19.3/fabric-loader-0.19.3.jar");
    expect(paths).toContain("libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar");
    expect(paths).toContain("mods/fabric-api-0.102.1+1.21.1.jar");
    expect(m.files.every((f) => /^[0-9a-f]{128}$/.test(f.sha512) && f.size > 0)).toBe(true);
    expect(seen.every((r) => r.ua === USER_AGENT)).toBe(true);
    expect(seen.some((r) => r.url.includes("/server/jar"))).toBe(false); // meta's generated launcher is not used
  });

  it("honours pinned loader and mod versions (by number and by id)", async () => {
    const byNumber = await resolve([{ project: "fabric-api", version: "0.102.0+1.21.1" }], "0.16.4");
    expect(byNumber.loader).toBe("0.16.4");
    expect(byNumber.mods[0]!.versionId).toBe("Kf2ZTlGz");
    const byId = await resolve([{ project: "P7dR8mSH", version: "Kf2ZTlGz" }], "0.16.4");
    expect(manifestHash(byId)).toBe(manifestHash(byNumber)); // ids are stored, not slugs
    await expect(resolve([], "0.15.0")).rejects.toThrow("Fabric has no loader 0.15.0.");
  });

  it("refuses, at once and for good, what Fabric meta refuses: an unknown game (400) and a loader below 0.12", async () => {
    const unknown = await resolve([], undefined, "1.21.99").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ResolutionError);
    expect((unknown as Error).message).toBe("Fabric does not support Minecraft 1.21.99 (Fabric meta answered 400).");
    expect(sleeps).toEqual([]);
    await expect(resolve([], "0.11.7")).rejects.toThrow(
      "Fabric loader 0.11.7 cannot run a server unattended: Fabric loader 0.12 or higher is required for unattended server installs.",
    );
  });

  it("resolves a 2026 game, leaving out its no-op intermediary as Fabric does", async () => {
    const m = await resolve([{ project: "fabric-api" }], undefined, "26.1");
    expect(m.mods.map((x) => x.versionNumber)).toEqual(["0.140.0+26.1"]);
    expect(m.java).toMatchObject({ major: 25, release: "jdk-25.0.1+8", path: "/opt/zlh/java/25" });
    expect(m.files.some((f) => f.path.includes("intermediary"))).toBe(false);
    expect(m.files.map((f) => f.path)).toContain(fabricLaunchJarPath("0.19.3", "26.1"));
  });

  it("adds required dependencies once, and a pinned version wins over the dependency's pick", async () => {
    const alone = await resolve([{ project: "chunky" }]);
    expect(alone.mods.map((x) => [x.projectId, x.versionNumber, x.reason])).toEqual([
      ["P7dR8mSH", "0.102.1+1.21.1", "dependency"],
      ["fALzjamp", "1.4.16", "requested"],
    ]);
    const pinned = await resolve([{ project: "chunky" }, { project: "fabric-api", version: "0.102.0+1.21.1" }]);
    expect(pinned.mods.map((x) => [x.projectId, x.versionNumber, x.reason])).toEqual([
      ["P7dR8mSH", "0.102.0+1.21.1", "requested"],
      ["fALzjamp", "1.4.16", "requested"],
    ]);
    expect(pinned.files.filter((f) => f.kind === "mod")).toHaveLength(2);
  });

  it("takes the version that fits when several share a pinned version number", async () => {
    // Chunky publishes 1.4.16 for NeoForge (newer) and for Fabric.
    const m = await resolve([{ project: "chunky", version: "1.4.16" }]);
    expect(m.mods.find((x) => x.projectId === "fALzjamp")!.versionId).toBe("dPliWter");
  });

  it("refuses a project with only pre-releases unless the request opts in, then takes its newest", async () => {
    await expect(resolve([{ project: "c2me-fabric" }])).rejects.toThrow(
      'Mod "c2me-fabric" (requested) has only pre-release versions (alpha, beta) for Minecraft 1.21.1 with Fabric; ask for it with "allowPrerelease": true to accept one.',
    );
    const m = await resolve([{ project: "c2me-fabric", allowPrerelease: true }]);
    expect(m.mods.map((x) => x.versionNumber)).toEqual(["0.3.0+beta.2+1.21.1"]);
    // Opting in does not prefer a beta over a release: fabric-api's newest is a beta, its newest release is taken.
    const api = await resolve([{ project: "fabric-api", allowPrerelease: true }]);
    expect(api.mods[0]!.versionNumber).toBe("0.102.1+1.21.1");
  });

  it("refuses client-only and incompatible mods, naming them", async () => {
    await expect(resolve([{ project: "sodium" }])).rejects.toThrow(/Mod "sodium" \(AANobbMI\) is client-only/);
    await expect(resolve([{ project: "modmenu" }])).rejects.toThrow(/Mod "modmenu" \(mOgUt4GM\) is client-only/);
    await expect(resolve([{ project: "starlight" }, { project: "phosphor" }])).rejects.toThrow('Mod "starlight" is incompatible with "phosphor"');
    await expect(resolve([{ project: "no-such-mod" }])).rejects.toBeInstanceOf(ResolutionError);
  });

  it("places a mod whose only file is not marked primary", async () => {
    const m = await resolve([{ project: "lithium" }]);
    expect(m.files.map((f) => f.path)).toContain("mods/lithium-mc1.21.1-0.13.0.jar");
  });

  it("backs off on 429 for as long as X-Ratelimit-Reset says, then succeeds", async () => {
    const url = "https://api.modrinth.com/v2/project/lithium";
    let limited = 3;
    overrides.set(url, () => {
      if (--limited === 0) overrides.delete(url); // the next request is served normally
      return new HttpResponse(null, { status: 429, headers: { "x-ratelimit-reset": "7", "x-ratelimit-remaining": "0" } });
    });
    const calls = () => seen.filter((r) => r.url === url).length;
    const before = calls();
    const m = await resolve([{ project: "lithium" }]);
    expect(m.mods[0]!.projectId).toBe("gvQqBUqZ");
    expect(calls() - before).toBe(4);
    expect(sleeps.filter((ms) => ms === 7000)).toHaveLength(3);
  });

  it("gives up after bounded retries", async () => {
    overrides.set("https://api.modrinth.com/v2/project/lithium", () => new HttpResponse(null, { status: 503 }));
    await expect(resolve([{ project: "lithium" }])).rejects.toThrow("answered 503");
    expect(sleeps).toHaveLength(5);
  });

  it("refuses a file whose bytes do not match the hash upstream publishes", async () => {
    const lib = "https://maven.fabricmc.net/org/ow2/asm/asm-tree/9.6/asm-tree-9.6.jar";
    overrides.set(lib, () => new HttpResponse(new TextEncoder().encode("tampered"), { headers: { "content-type": "application/java-archive" } }));
    await database.sql`delete from artifact_digests where url = ${lib}`; // as on a first resolution
    await expect(resolve([])).rejects.toThrow(/hash mismatch|size mismatch/);
  });

  it("resolves identical inputs to identical manifests", async () => {
    const a = await resolve([{ project: "lithium" }, { project: "chunky" }]);
    const b = await resolve([{ project: "chunky" }, { project: "lithium" }]);
    expect(b).toEqual(a);
    expect(manifestHash(b)).toBe(manifestHash(a));
  });
});
