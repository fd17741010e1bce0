import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync } from "fflate";
import { ArtifactNotFoundError, mirrorSource, OFFLINE_MIRROR_DIR, PAPER_SERVER_JAR, storedZip, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";
import { rewritingMirror } from "./rewritingMirror";

/** The offline mirror's PaperMC v3 listing of 1.21.1: 133 (ALPHA), 132 and 131 (STABLE), newest first. */
const BUILDS = "https://fill.papermc.io/v3/projects/paper/versions/1.21.1/builds";
const JAR = /^https:\/\/fill-data\.papermc\.io\/v1\/objects\/([0-9a-f]{64})\/paper-1\.21\.1-(\d+)\.jar$/;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

type Build = { id: number; channel: string; downloads: Record<string, { name: string; checksums: { sha256: string }; url: string } | undefined> };
/** The mirror with its 1.21.1 listing passed through `edit`. */
const editedListing = (edit: (builds: Build[]) => unknown) => rewritingMirror((url, body) => (url === BUILDS ? edit(body as Build[]) : body));

describe("resolving a Paper server", () => {
  let database: Database;
  const resolve = (source: ArtifactSource, game = "1.21.1", loaderVersion?: string) => resolveManifest(database.db, source, { type: "paper", minecraftVersion: game, loaderVersion, mods: [] });

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    await database.close();
  });

  it("pins the newest STABLE build (never the newer ALPHA one) at the URL v3 gives, and Mojang's jar where that build's Paperclip looks for it", async () => {
    const m = await resolve(mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    expect(m).toMatchObject({ type: "paper", launch: { jar: PAPER_SERVER_JAR }, game: "1.21.1", loader: "132", mods: [] });
    expect(m.files.map((f) => f.path)).toEqual(["cache/mojang_1.21.1.jar", PAPER_SERVER_JAR]);
    const [mojang, paper] = m.files as unknown as [{ url: string; sha1?: string }, { url: string }];
    expect(paper.url).toMatch(JAR);
    expect(paper.url.match(JAR)![2]).toBe("132");
    // The Mojang jar is the version JSON's, with Mojang's sha1; its sha256 is the one the Paper jar's download context names.
    expect(mojang.url).toMatch(/^https:\/\/piston-data\.mojang\.com\/v1\/objects\/[0-9a-f]{40}\/server\.jar$/);
    expect(mojang.sha1).toMatch(/^[0-9a-f]{40}$/);
    expect(m.java).toMatchObject({ major: 21 });
  });

  it("takes the newest by id, not the listing's order, and RECOMMENDED as stable", async () => {
    const reversed = editedListing((builds) => [...builds].reverse());
    expect(await resolve(reversed)).toMatchObject({ loader: "132" });
    const recommended = editedListing((builds) => builds.map((b) => (b.id === 131 ? { ...b, channel: "RECOMMENDED" } : b.id === 132 ? { ...b, channel: "BETA" } : b)));
    expect(await resolve(recommended)).toMatchObject({ loader: "131" });
  });

  it("pins the build asked for (loaderVersion), an ALPHA one too; a build PaperMC does not list fails resolution naming the ones it does", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const m = await resolve(mirror, "1.21.1", "133");
    expect(m).toMatchObject({ type: "paper", loader: "133" });
    expect((m.files.find((f) => f.path === PAPER_SERVER_JAR) as { url: string }).url.match(JAR)![2]).toBe("133");
    // Gone upstream since the request was accepted: the server fails at once, as any request that cannot resolve.
    await expect(resolve(mirror, "1.21.1", "140")).rejects.toThrow(new ResolutionError("Paper has no build 140 of Minecraft 1.21.1; its newest: 133, 132, 131."));
  });

  it("refuses a build with no usable server download: pinned, it is named; unpinned, it is passed over", async () => {
    const without = (bad: Build["downloads"]["server:default"]) => editedListing((builds) => builds.map((b) => (b.id === 132 ? { ...b, downloads: { "server:mojang": b.downloads["server:default"], "server:default": bad } } : b)));
    const at = (url: string) => ({ name: "paper.jar", checksums: { sha256: "a".repeat(64) }, url });
    // A listing's URL decides what the control plane and every agent fetch: PaperMC's object store, at its default port, only.
    const offHost = [
      "https://127.0.0.1:8006/api2/json/nodes",
      "https://169.254.169.254/latest/meta-data/",
      "https://evil.example/paper.jar",
      "https://fill-data.papermc.io:8443/x.jar",
      "https://user:pass@fill-data.papermc.io/x.jar",
      "https://fill-data.papermc.io.evil.example/x.jar",
      "https://fill-data.papermc.io\n/x/../../127.0.0.1",
      `https://fill-data.papermc.io/${"a".repeat(600)}.jar`,
    ];
    // A name that is not a plain jar's, or a megabyte one (it would be repeated into every message about the build).
    const badNames = ["../paper.jar", "paper.jar\n", `${"a".repeat(1_000_000)}.jar`].map((name) => ({ ...at("https://fill-data.papermc.io/x.jar"), name }));
    for (const bad of [undefined, { name: "paper.jar", checksums: { sha256: "not-hex" }, url: "https://fill-data.papermc.io/x.jar" }, at("http://fill-data.papermc.io/x.jar"), ...offHost.map(at), ...badNames]) {
      await expect(resolve(without(bad), "1.21.1", "132")).rejects.toThrow(new ResolutionError("Paper build 132 of Minecraft 1.21.1 has no server download; its newest: 133, 131."));
      expect(await resolve(without(bad))).toMatchObject({ loader: "131" });
    }
  });

  it("pins and fetches the listed URL as URL normalises it, never the raw string", async () => {
    const shouted = editedListing((builds) => builds.map((b) => (b.id === 132 ? { ...b, downloads: { "server:default": { ...b.downloads["server:default"]!, url: b.downloads["server:default"]!.url.replace("https://fill-data.papermc.io/", "https://FILL-DATA.papermc.io:443/v1/../") } } } : b)));
    const m = await resolve(shouted);
    expect((m.files.find((f) => f.path === PAPER_SERVER_JAR) as { url: string }).url).toMatch(JAR);
  });

  it("refuses a listing with the build to pin listed twice (which entry is PaperMC's cannot be told), pinned or newest", async () => {
    const twice = editedListing((builds) => builds.flatMap((b) => (b.id === 132 ? [{ ...b, downloads: { "server:default": { ...b.downloads["server:default"]!, checksums: { sha256: "0".repeat(64) } } } }, b] : [b])));
    const refusal = new ResolutionError("PaperMC lists build 132 of Minecraft 1.21.1 more than once; refused (which one is the build cannot be told).");
    await expect(resolve(twice)).rejects.toThrow(refusal);
    await expect(resolve(twice, "1.21.1", "132")).rejects.toThrow(refusal);
    expect(await resolve(twice, "1.21.1", "131")).toMatchObject({ loader: "131" });
  });

  it("refuses a game Paper does not build (PaperMC's 404), mods, a version with only ALPHA and BETA builds, and a listing that is not v3's array", async () => {
    await expect(resolve(mirrorSource(OFFLINE_MIRROR_DIR, "offline"), "26.1")).rejects.toThrow(new ResolutionError("Paper does not build Minecraft 26.1 (PaperMC answered 404)."));
    await expect(resolveManifest(database.db, mirrorSource(OFFLINE_MIRROR_DIR, "offline"), { type: "paper", minecraftVersion: "1.21.1", mods: [{ project: "lithium" }] })).rejects.toThrow(ResolutionError);
    const unstable = editedListing((builds) => builds.map((b) => ({ ...b, channel: b.id === 133 ? "ALPHA" : "BETA" })));
    await expect(resolve(unstable)).rejects.toThrow(new ResolutionError("Paper has no stable (STABLE or RECOMMENDED channel) build of Minecraft 1.21.1."));
    // An operator's mirror holding only v2's tree has no v3 listing: its bare 404 says so; one repeating v3's code is PaperMC's answer.
    await expect(resolve(mirrorSource(OFFLINE_MIRROR_DIR, "mirror"), "26.1")).rejects.toThrow(
      new ResolutionError("Paper does not build Minecraft 26.1, or the mirror lacks fill.papermc.io/v3/projects/paper/versions/26.1/builds (it answered 404 without a v3 error code); a mirror filled from PaperMC's v2 API must be refilled from v3."),
    );
    const coded = { ...mirrorSource(OFFLINE_MIRROR_DIR, "mirror"), fetchJson: async (url: string) => Promise.reject(new ArtifactNotFoundError(url, 404, '{"ok":false,"error":"version_not_found","message":"Version not found."}')) } as ArtifactSource;
    await expect(resolve(coded, "26.1")).rejects.toThrow(new ResolutionError("Paper does not build Minecraft 26.1 (PaperMC answered 404: version_not_found)."));
    // v2's shape, as a mirror left on it would answer.
    const v2 = editedListing((builds) => ({ project_id: "paper", builds }));
    await expect(resolve(v2)).rejects.toThrow(new ResolutionError("PaperMC's builds of Minecraft 1.21.1 are not a list (its v3 API answers an array)."));
  });

  it("refuses a build whose Paperclip patches another Mojang jar than the one Mojang serves (it would download that one at first start)", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const listing = await mirror.fetchJson<Build[]>(BUILDS);
    const jarUrl = listing.find((b) => b.id === 132)!.downloads["server:default"]!.url;
    const entries = unzipSync(await mirror.fetchBytes(jarUrl));
    const [, url, file] = new TextDecoder().decode(entries["META-INF/download-context"]!).split("\t");
    entries["META-INF/download-context"] = new TextEncoder().encode(`${"ab".repeat(32)}\t${url}\t${file}`);
    const other = storedZip(Object.entries(entries).map(([name, data]) => ({ name, data })));
    const otherUrl = `https://fill-data.papermc.io/v1/objects/${sha256(other)}/paper-1.21.1-132.jar`;
    const source = {
      ...editedListing((builds) => builds.map((b) => (b.id === 132 ? { ...b, downloads: { "server:default": { ...b.downloads["server:default"]!, checksums: { sha256: sha256(other) }, url: otherUrl } } } : b))),
      // Read whole through fetchBytes (resolution streams a source's fetchStream when it has one).
      fetchStream: undefined,
      fetchBytes: async (u: string) => (u === otherUrl ? other : mirror.fetchBytes(u)),
    } as ArtifactSource;
    await expect(resolve(source)).rejects.toThrow(/Paper build 132 patches a Mojang jar with sha256 (ab){32}, but Mojang's 1\.21\.1 server jar is [0-9a-f]{64}; Paperclip would download another/);
  });

  it("refuses a jar whose sha256 is not the one PaperMC publishes", async () => {
    const tampered = editedListing((builds) =>
      builds.map((b) => ({ ...b, downloads: { "server:default": { ...b.downloads["server:default"]!, checksums: { sha256: sha256(new TextEncoder().encode("other")) } } } })),
    );
    await expect(resolve(tampered)).rejects.toThrow(/^hash mismatch for https:\/\/fill-data\.papermc\.io\/v1\/objects\/.*PaperMC publishes sha256/);
  });
});
