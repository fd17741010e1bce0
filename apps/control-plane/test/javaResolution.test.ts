import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { adoptiumReleasesUrl, mirrorPath, mirrorRefusalPath, OFFLINE_MIRROR_DIR, upstreamSource, USER_AGENT, type ArtifactSource, type JavaArchitecture } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { temurinJreLink, temurinRelease, type TemurinBuild } from "../../../scripts/offlineMirror/adoptiumRelease";
import { ensureMachineJre } from "../../../scripts/offlineMirror/machineJre";
import { resolveJava } from "../src/fabric/adoptium";
import { ResolutionError } from "../src/fabric/errors";
import { resolveGame } from "../src/fabric/mojang";
import { resolveManifest } from "../src/fabric/resolveManifest";

/**
 * Adoptium API v3 through msw, in the API's shapes (scripts/offlineMirror/
 * adoptiumRelease.ts follows its models): a feature listing is an array of
 * releases, newest first, each with the binaries that match the query; 404
 * when nothing matches. Anything else is the offline mirror.
 */
const archives = new Map<string, Uint8Array>();
const listings = new Map<string, unknown[]>();
const requested: string[] = [];
const upstream = setupServer(
  http.get(/^https:\/\//, async ({ request }) => {
    requested.push(request.url);
    const listing = listings.get(request.url);
    if (listing) return listing.length ? HttpResponse.json(listing) : new HttpResponse(null, { status: 404 });
    const archive = archives.get(request.url);
    if (archive) return new HttpResponse(archive, { headers: { "content-type": "application/gzip" } });
    const body = await readFile(join(OFFLINE_MIRROR_DIR, mirrorPath(request.url))).catch(() => null);
    const refusal = await readFile(join(OFFLINE_MIRROR_DIR, mirrorRefusalPath(request.url)), "utf8").catch(() => null);
    if (refusal !== null) return new HttpResponse(refusal, { status: 400 });
    if (!body) return new HttpResponse(null, { status: 404 });
    return new HttpResponse(body);
  }),
);

const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");
const build = (security: number, buildNo: number, published: string): TemurinBuild => ({ major: 21, minor: 0, security, build: buildNo, published });

/** Serves `builds` as Adoptium's feature 21 listing for `architecture`, each with a distinct archive. */
function serve(architecture: JavaArchitecture, builds: TemurinBuild[], tamper?: (b: TemurinBuild) => { sha256?: string }) {
  listings.set(
    adoptiumReleasesUrl(21, architecture),
    builds.map((b) => {
      const bytes = new TextEncoder().encode(`jre ${b.security}+${b.build} ${architecture}`);
      archives.set(temurinJreLink(b, architecture), bytes);
      return temurinRelease(b, [{ architecture, archive: { size: bytes.byteLength, sha256: tamper?.(b).sha256 ?? sha("sha256", bytes) } }]);
    }),
  );
}

describe("pinning the Java runtime from Adoptium", () => {
  let database: Database;
  let source: ArtifactSource;

  beforeAll(async () => {
    upstream.listen({ onUnhandledRequest: "error" });
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    upstream.close();
    await database.close();
  });
  beforeEach(() => {
    archives.clear();
    listings.clear();
    requested.length = 0;
    source = upstreamSource({ userAgent: USER_AGENT, sleep: async () => {} });
  });

  it("pins an emergency release (a fourth version number, as 17.0.21.1+2 on this machine) over the build it patches, named as Temurin names it", async () => {
    const base = build(7, 6, "2025-04-16T00:00:00Z");
    const emergency: TemurinBuild = { ...base, patch: 1, build: 1, published: "2025-04-30T00:00:00Z" };
    serve("x64", [emergency, base]);
    const java = await resolveJava(database.db, source, 21);
    expect(java.release).toBe("jdk-21.0.7.1+1");
    expect(java.url).toBe("https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7.1%2B1/OpenJDK21U-jre_x64_linux_hotspot_21.0.7.1_1.tar.gz");
  });

  it("pins the newest GA build of the feature, whatever order the listing is in, with Adoptium's sha256 and a computed sha512", async () => {
    const older = build(6, 7, "2025-01-22T00:00:00Z");
    const newest = build(7, 6, "2025-04-16T00:00:00Z");
    serve("x64", [older, newest]);
    const java = await resolveJava(database.db, source, 21);
    const bytes = archives.get(temurinJreLink(newest, "x64"))!;
    expect(java).toEqual({
      major: 21,
      release: "jdk-21.0.7+6",
      architecture: "x64",
      url: "https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7%2B6/OpenJDK21U-jre_x64_linux_hotspot_21.0.7_6.tar.gz",
      size: bytes.byteLength,
      sha256: sha("sha256", bytes),
      sha512: sha("sha512", bytes),
      path: "/opt/zlh/java/21",
    });
    expect(requested[0]).toBe(
      "https://api.adoptium.net/v3/assets/feature_releases/21/ga?architecture=x64&heap_size=normal&image_type=jre&jvm_impl=hotspot&os=linux&page_size=10&project=jdk&sort_order=DESC&vendor=eclipse",
    );
  });

  it("asks for the host's architecture and pins that binary", async () => {
    const b = build(7, 6, "2025-04-16T00:00:00Z");
    serve("aarch64", [b]);
    const java = await resolveJava(database.db, source, 21, "aarch64");
    expect(java.url).toBe("https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7%2B6/OpenJDK21U-jre_aarch64_linux_hotspot_21.0.7_6.tar.gz");
    expect(java.architecture).toBe("aarch64");
    expect(requested[0]).toContain("architecture=aarch64");
  });

  it("refuses a feature Adoptium has no build of (its 404) as unresolvable", async () => {
    listings.set(adoptiumReleasesUrl(21, "x64"), []);
    const err = await resolveJava(database.db, source, 21).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toBe("Adoptium has no GA Temurin JRE of Java 21 for linux/x64 (Adoptium answered 404).");
  });

  it("refuses an archive whose sha256 is not the one Adoptium publishes", async () => {
    const b = build(7, 6, "2025-04-16T00:00:00Z");
    serve("x64", [b], () => ({ sha256: "0".repeat(64) }));
    const err = await resolveJava(database.db, source, 21).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionError);
    expect((err as Error).message).toMatch(/^hash mismatch for https:\/\/github\.com\/adoptium\/temurin21-binaries\/.*: Adoptium publishes sha256 0{64}, the file has [0-9a-f]{64}$/);
  });

  it("refuses an archive whose size is not the one Adoptium publishes", async () => {
    const b = build(7, 6, "2025-04-16T00:00:00Z");
    serve("x64", [b]);
    const [release] = listings.get(adoptiumReleasesUrl(21, "x64")) as { binaries: { package: { size: number } }[] }[];
    release!.binaries[0]!.package.size += 1;
    await expect(resolveJava(database.db, source, 21)).rejects.toThrow(/size mismatch/);
  });

  it("refuses a game whose version JSON names no Java", async () => {
    const manifestUrl = "https://piston-meta.mojang.com/mc/game/version_manifest_v2.json";
    const stub: ArtifactSource = {
      kind: "upstream",
      fetchBytes: () => Promise.reject(new Error("nothing is downloaded before the refusal")),
      fetchJson: async <T,>(url: string) =>
        (url === manifestUrl
          ? { versions: [{ id: "1.20.1", type: "release", url: "https://piston-meta.mojang.com/v1/packages/x/1.20.1.json", sha1: "0".repeat(40) }] }
          : { id: "1.20.1", downloads: { server: { sha1: "0".repeat(40), size: 1, url: "https://piston-data.mojang.com/v1/objects/x/server.jar" } } }) as T,
    };
    await expect(resolveGame(database.db, stub, "1.20.1")).rejects.toThrow(new ResolutionError("Minecraft 1.20.1's version JSON names no Java version (javaVersion.majorVersion)."));
  });

  it("puts the game's Java in the manifest: 1.20.1 names Java 17, pinned to the mirror's real JRE", async () => {
    const jre = ensureMachineJre();
    const m = await resolveManifest(database.db, source, { minecraftVersion: "1.20.1", mods: [] });
    expect(m.java).toEqual({ major: 17, release: jre.release, architecture: "x64", url: jre.link, size: jre.size, sha256: jre.sha256, sha512: jre.sha512, path: "/opt/zlh/java/17" });
  });
});
