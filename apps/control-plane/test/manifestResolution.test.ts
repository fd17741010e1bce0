import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { manifestHash, mirrorPath, OFFLINE_MIRROR_DIR, upstreamSource, USER_AGENT, type ArtifactSource } from "@zlh/artifacts";
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
  http.get(/^https:\/\/(meta\.fabricmc\.net|maven\.fabricmc\.net|piston-meta\.mojang\.com|piston-data\.mojang\.com|api\.modrinth\.com|cdn\.modrinth\.com)\//, async ({ request }) => {
    seen.push({ url: request.url, ua: request.headers.get("user-agent") });
    const override = overrides.get(request.url);
    if (override) return override();
    const body = await readFile(join(OFFLINE_MIRROR_DIR, mirrorPath(request.url))).catch(() => null);
    if (!body) return HttpResponse.json({ error: "not_found", description: "the requested resource does not exist" }, { status: 404 });
    const isJson = !/\.jar$|\/jar$|server\.jar$/.test(new URL(request.url).pathname);
    return new HttpResponse(body, { headers: { "content-type": isJson ? "application/json" : "application/java-archive" } });
  }),
);

describe("manifest resolution against mocked upstreams", () => {
  let database: Database;
  const sleeps: number[] = [];
  let source: ArtifactSource;
  const resolve = (mods: { project: string; version?: string }[] = [], loaderVersion?: string, game = "1.21.1") =>
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

  it("picks the newest stable loader and installer and the newest release of each mod, pinning every file", async () => {
    const m = await resolve([{ project: "fabric-api" }]);
    expect({ game: m.game, loader: m.loader, installer: m.installer }).toEqual({ game: "1.21.1", loader: "0.16.5", installer: "1.0.1" });
    expect(m.mods).toEqual([{ projectId: "P7dR8mSH", versionId: "VwBUsRBM", versionNumber: "0.102.1+1.21.1", reason: "requested" }]);
    const paths = m.files.map((f) => f.path);
    expect(paths).toContain("fabric-server-launch.jar");
    expect(paths).toContain(".fabric/server/1.21.1-server.jar");
    expect(paths).toContain("libraries/net/fabricmc/fabric-loader/0.16.5/fabric-loader-0.16.5.jar");
    expect(paths).toContain("libraries/net/fabricmc/intermediary/1.21.1/intermediary-1.21.1.jar");
    expect(paths).toContain("mods/fabric-api-0.102.1+1.21.1.jar");
    expect(m.files.every((f) => /^[0-9a-f]{128}$/.test(f.sha512) && f.size > 0)).toBe(true);
    expect(seen.every((r) => r.ua === USER_AGENT)).toBe(true);
  });

  it("honours pinned loader and mod versions (by number and by id)", async () => {
    const byNumber = await resolve([{ project: "fabric-api", version: "0.102.0+1.21.1" }], "0.16.4");
    expect(byNumber.loader).toBe("0.16.4");
    expect(byNumber.mods[0]!.versionId).toBe("Kf2ZTlGz");
    const byId = await resolve([{ project: "P7dR8mSH", version: "Kf2ZTlGz" }], "0.16.4");
    expect(manifestHash(byId)).toBe(manifestHash(byNumber)); // ids are stored, not slugs
    await expect(resolve([], "0.15.0")).rejects.toThrow("Fabric loader 0.15.0 does not support Minecraft 1.21.1.");
  });

  it("adds required dependencies once, and a pinned version wins over the dependency's pick", async () => {
    const alone = await resolve([{ project: "modmenu" }]);
    expect(alone.mods.map((x) => [x.projectId, x.versionNumber, x.reason])).toEqual([
      ["P7dR8mSH", "0.102.1+1.21.1", "dependency"],
      ["mOgUt4GM", "11.0.2", "requested"],
    ]);
    const pinned = await resolve([{ project: "modmenu" }, { project: "fabric-api", version: "0.102.0+1.21.1" }]);
    expect(pinned.mods.map((x) => [x.projectId, x.versionNumber, x.reason])).toEqual([
      ["P7dR8mSH", "0.102.0+1.21.1", "requested"],
      ["mOgUt4GM", "11.0.2", "requested"],
    ]);
    expect(pinned.files.filter((f) => f.kind === "mod")).toHaveLength(2);
  });

  it("refuses client-only and incompatible mods, naming them", async () => {
    await expect(resolve([{ project: "sodium" }])).rejects.toThrow(/Mod "sodium" \(AANobbMI\) is client-only/);
    await expect(resolve([{ project: "chunky" }, { project: "lithium" }])).rejects.toThrow('Mod "chunky" is incompatible with "lithium"');
    await expect(resolve([{ project: "no-such-mod" }])).rejects.toBeInstanceOf(ResolutionError);
    await expect(resolve([], undefined, "1.7.10")).rejects.toThrow("Fabric has no loader for Minecraft 1.7.10.");
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
    const lib = "https://maven.fabricmc.net/org/ow2/asm/asm-tree/9.7.1/asm-tree-9.7.1.jar";
    overrides.set(lib, () => new HttpResponse(new TextEncoder().encode("tampered"), { headers: { "content-type": "application/java-archive" } }));
    await database.sql`delete from artifact_digests where url = ${lib}`; // as on a first resolution
    await expect(resolve([])).rejects.toThrow(/hash mismatch|size mismatch/);
  });

  it("resolves identical inputs to identical manifests", async () => {
    const a = await resolve([{ project: "lithium" }, { project: "modmenu" }]);
    const b = await resolve([{ project: "modmenu" }, { project: "lithium" }]);
    expect(b).toEqual(a);
    expect(manifestHash(b)).toBe(manifestHash(a));
  });
});
