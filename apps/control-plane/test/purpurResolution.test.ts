import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, PURPUR_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { UnknownBuildError } from "@zlh/domain";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";
import { checkPinnedBuild } from "../src/serverTypes/pinnedBuild";
import { rewritingMirror } from "./rewritingMirror";

const API = "https://api.purpurmc.org/v2/purpur/1.21.1";

describe("resolving a Purpur server", () => {
  let database: Database;
  const resolve = (source: ArtifactSource, game = "1.21.1") => resolveManifest(database.db, source, { type: "purpur", minecraftVersion: game, mods: [] });

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    await database.close();
  });

  it("pins the newest successful build (the newest listed failed), and Mojang's jar where its Paperclip looks", async () => {
    const m = await resolve(mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    expect(m).toMatchObject({ type: "purpur", launch: { jar: PURPUR_SERVER_JAR }, loader: "2328", mods: [] });
    expect(m.files.map((f) => [f.path, "url" in f ? f.url : null])).toEqual([
      ["cache/mojang_1.21.1.jar", expect.stringMatching(/^https:\/\/piston-data\.mojang\.com\//)],
      [PURPUR_SERVER_JAR, `${API}/2328/download`],
    ]);
  });

  it("pins the build asked for (loaderVersion) when it succeeded; a failed or unlisted one fails resolution", async () => {
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const pin = (build: string) => resolveManifest(database.db, mirror, { type: "purpur", minecraftVersion: "1.21.1", loaderVersion: build, mods: [] });
    expect(await pin("2327")).toMatchObject({ type: "purpur", loader: "2327" });
    await expect(pin("2329")).rejects.toThrow(new ResolutionError("Purpur build 2329 of Minecraft 1.21.1 did not succeed (its result: FAILURE), so it has no jar."));
    await expect(pin("7")).rejects.toThrow(new ResolutionError("Purpur has no build 7 of Minecraft 1.21.1; its newest: 2329, 2328, 2327."));
  });

  it("refuses a game Purpur does not build (its 404), a version whose builds all failed, and a jar whose md5 is not the published one", async () => {
    await expect(resolve(mirrorSource(OFFLINE_MIRROR_DIR, "offline"), "26.1")).rejects.toThrow(new ResolutionError("Purpur does not build Minecraft 26.1 (Purpur answered 404)."));
    // papyrus names no latest build (null) when none succeeded: nothing more is asked.
    const allFailed = rewritingMirror((url, body) => (url === API ? { ...(body as object), builds: { latest: null, all: ["2329"] } } : body));
    await expect(resolve(allFailed)).rejects.toThrow(new ResolutionError("Purpur has no successful build of Minecraft 1.21.1."));
    const otherMd5 = rewritingMirror((url, body) => (url === `${API}/2328` ? { ...(body as object), md5: "0".repeat(32) } : body));
    await expect(resolve(otherMd5)).rejects.toThrow(`hash mismatch for ${API}/2328/download: Purpur publishes md5 ${"0".repeat(32)}`);
  });

  it("refuses what papyrus never answers as bad input, not as a crash: an md5 that is not one, a latest build it does not list", async () => {
    const numberMd5 = rewritingMirror((url, body) => (url === `${API}/2328` ? { ...(body as object), md5: 12345 } : body));
    await expect(resolve(numberMd5)).rejects.toThrow(new ResolutionError("Purpur publishes 12345 as the md5 of build 2328 of Minecraft 1.21.1, which is not an md5."));
    const unlistedLatest = rewritingMirror((url, body) => (url === API ? { ...(body as object), builds: { latest: "../2328", all: ["2327", "2328"] } } : body));
    await expect(resolve(unlistedLatest)).rejects.toThrow(new ResolutionError('Purpur names "../2328" the latest build of Minecraft 1.21.1, which it does not list.'));
  });

  it("names a hostile value's kind without stringifying it (20,000 deep would overflow the stack), and echoes no escape sequence", async () => {
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const at = (url: string, field: string, value: unknown) => rewritingMirror((u, body) => (u === url ? { ...(body as object), [field]: value } : body));
    await expect(resolve(at(`${API}/2328`, "result", deep))).rejects.toThrow(new ResolutionError("Purpur names build 2328 the latest of Minecraft 1.21.1, but it has no jar (its result: a list, not a string)."));
    await expect(resolve(at(`${API}/2328`, "md5", deep))).rejects.toThrow(new ResolutionError("Purpur publishes a list, not a string as the md5 of build 2328 of Minecraft 1.21.1, which is not an md5."));
    await expect(resolve(at(`${API}/2328`, "build", { deep }))).rejects.toThrow(new ResolutionError("Purpur answered for build 2328 of Minecraft 1.21.1 with build an object, not a string."));
    const latestDeep = rewritingMirror((u, body) => (u === API ? { ...(body as object), builds: { latest: deep, all: ["2328"] } } : body));
    await expect(resolve(latestDeep)).rejects.toThrow(new ResolutionError("Purpur names a list, not a string the latest build of Minecraft 1.21.1, which it does not list."));
    // The pin check a create makes: refused as an unknown build (4xx), not a crash (500).
    const pinned = await checkPinnedBuild(at(`${API}/2329`, "result", deep), { type: "purpur", minecraftVersion: "1.21.1", loaderVersion: "2329" }, 10_000).catch((e: unknown) => e);
    expect(pinned).toEqual(new UnknownBuildError("Purpur build 2329 of Minecraft 1.21.1 did not succeed (its result: a list, not a string), so it has no jar."));
    const escaped = await checkPinnedBuild(at(`${API}/2329`, "result", "\u001b[2J\u001b]0;owned\u0007FAIL"), { type: "purpur", minecraftVersion: "1.21.1", loaderVersion: "2329" }, 10_000).catch((e: unknown) => e);
    expect((escaped as Error).message).toBe("Purpur build 2329 of Minecraft 1.21.1 did not succeed (its result: ?[2J?]0;owned?FAIL), so it has no jar.");
  });
});
