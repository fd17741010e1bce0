import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync } from "fflate";
import { mirrorSource, OFFLINE_MIRROR_DIR, PAPER_SERVER_JAR, storedZip, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";
import { rewritingMirror } from "./rewritingMirror";

const BUILDS = "https://api.papermc.io/v2/projects/paper/versions/1.21.1/builds";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("resolving a Paper server", () => {
  let database: Database;
  const resolve = (source: ArtifactSource, game = "1.21.1") => resolveManifest(database.db, source, { type: "paper", minecraftVersion: game, mods: [] });

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    await database.close();
  });

  it("pins the newest default-channel build (never an experimental one) and Mojang's jar where that build's Paperclip looks for it", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const m = await resolve(mirror);
    expect(m).toMatchObject({ type: "paper", launch: { jar: PAPER_SERVER_JAR }, game: "1.21.1", loader: "132", mods: [] });
    expect(m.files.map((f) => f.path)).toEqual(["cache/mojang_1.21.1.jar", PAPER_SERVER_JAR]);
    const [mojang, paper] = m.files as unknown as [{ url: string; sha1?: string }, { url: string }];
    expect(paper.url).toBe(`${BUILDS}/132/downloads/paper-1.21.1-132.jar`);
    // The Mojang jar is the version JSON's, with Mojang's sha1; its sha256 is the one the Paper jar's download context names.
    expect(mojang.url).toMatch(/^https:\/\/piston-data\.mojang\.com\/v1\/objects\/[0-9a-f]{40}\/server\.jar$/);
    expect(mojang.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(m.java).toMatchObject({ major: 21 });
  });

  it("pins the build asked for (loaderVersion), an experimental one too; a build PaperMC does not list fails resolution naming the ones it does", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const pin = (build: string) => resolveManifest(database.db, mirror, { type: "paper", minecraftVersion: "1.21.1", loaderVersion: build, mods: [] });
    const m = await pin("133");
    expect(m).toMatchObject({ type: "paper", loader: "133" });
    expect(m.files.find((f) => f.path === PAPER_SERVER_JAR)).toMatchObject({ url: `${BUILDS}/133/downloads/paper-1.21.1-133.jar` });
    // Gone upstream since the request was accepted: the server fails at once, as any request that cannot resolve.
    await expect(pin("140")).rejects.toThrow(new ResolutionError("Paper has no build 140 of Minecraft 1.21.1; its newest: 133, 132, 131."));
  });

  it("refuses a game Paper does not build (PaperMC's 404), mods, and a version with only experimental builds", async () => {
    await expect(resolve(mirrorSource(OFFLINE_MIRROR_DIR, "offline"), "26.1")).rejects.toThrow(new ResolutionError("Paper does not build Minecraft 26.1 (PaperMC answered 404)."));
    await expect(resolveManifest(database.db, mirrorSource(OFFLINE_MIRROR_DIR, "offline"), { type: "paper", minecraftVersion: "1.21.1", mods: [{ project: "lithium" }] })).rejects.toThrow(ResolutionError);
    const experimentalOnly = rewritingMirror((url, body) => (url === BUILDS ? { ...(body as object), builds: (body as { builds: { channel: string }[] }).builds.filter((b) => b.channel === "experimental") } : body));
    await expect(resolve(experimentalOnly)).rejects.toThrow(new ResolutionError("Paper has no stable (default channel) build of Minecraft 1.21.1."));
  });

  it("refuses a build whose Paperclip patches another Mojang jar than the one Mojang serves (it would download that one at first start)", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const original = await mirror.fetchBytes(`${BUILDS}/132/downloads/paper-1.21.1-132.jar`);
    const entries = unzipSync(original);
    const [, url, file] = new TextDecoder().decode(entries["META-INF/download-context"]!).split("\t");
    entries["META-INF/download-context"] = new TextEncoder().encode(`${"ab".repeat(32)}\t${url}\t${file}`);
    const other = storedZip(Object.entries(entries).map(([name, data]) => ({ name, data })));
    const source = {
      ...rewritingMirror((u, body) => {
        if (u !== BUILDS) return body;
        const b = body as { builds: { build: number; downloads: { application: { name: string; sha256: string } } }[] };
        return { ...b, builds: b.builds.map((x) => (x.build === 132 ? { ...x, downloads: { application: { ...x.downloads.application, sha256: sha256(other) } } } : x)) };
      }),
      // Read whole through fetchBytes (resolution streams a source's fetchStream when it has one).
      fetchStream: undefined,
      fetchBytes: async (u: string) => (u.endsWith("paper-1.21.1-132.jar") ? other : mirror.fetchBytes(u)),
    } as ArtifactSource;
    // A fresh database: the mirror's own build 132 is already pinned in this one.
    const fresh = connectDatabase(await testDatabase(), { max: 2 });
    try {
      await expect(resolveManifest(fresh.db, source, { type: "paper", minecraftVersion: "1.21.1", mods: [] })).rejects.toThrow(/Paper build 132 patches a Mojang jar with sha256 (ab){32}, but Mojang's 1\.21\.1 server jar is [0-9a-f]{64}; Paperclip would download another/);
    } finally {
      await fresh.close();
    }
  });

  it("refuses a jar whose sha256 is not the one PaperMC publishes", async () => {
    const tampered = rewritingMirror((url, body) => {
      if (url !== BUILDS) return body;
      const b = body as { builds: { build: number; downloads: { application: { sha256: string } } }[] };
      return { ...b, builds: b.builds.map((x) => ({ ...x, downloads: { application: { ...x.downloads.application, sha256: sha256(new TextEncoder().encode("other")) } } })) };
    });
    await expect(resolve(tampered)).rejects.toThrow(/hash mismatch for https:\/\/api\.papermc\.io\/.*PaperMC publishes sha256/);
  });
});
