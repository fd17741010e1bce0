import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { resolveManifest } from "../src/fabric/resolveManifest";

const PAPER_BUILDS = "https://fill.papermc.io/v3/projects/paper/versions/1.21.1/builds";
const PURPUR_JAR = "https://api.purpurmc.org/v2/purpur/1.21.1/2328/download";

/** The offline mirror, serving `url` one byte short the first time it is asked for (a download cut off, a bad cache), whole after. */
function shortOnce(url: string): ArtifactSource {
  const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  let served = false;
  return {
    ...mirror,
    fetchStream: undefined,
    fetchBytes: async (u: string) => {
      const bytes = await mirror.fetchBytes(u);
      if (u !== url || served) return bytes;
      served = true;
      return bytes.subarray(0, bytes.byteLength - 1);
    },
  } as ArtifactSource;
}

describe("a download that does not match the hash upstream publishes pins nothing", () => {
  let database: Database;
  const pinned = async (url: string) => (await database.db.execute(sql`select 1 from artifact_digests where url = ${url}`)).length;

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(async () => {
    await database.close();
  });

  it("Paper: a jar short of its published sha256 is refused, and the right bytes later resolve (not refused as changed upstream)", async () => {
    const listing = await mirrorSource(OFFLINE_MIRROR_DIR, "offline").fetchJson<{ id: number; downloads: Record<string, { url: string }> }[]>(PAPER_BUILDS);
    const jar = listing.find((b) => b.id === 132)!.downloads["server:default"]!.url;
    const source = shortOnce(jar);
    const resolve = () => resolveManifest(database.db, source, { type: "paper", minecraftVersion: "1.21.1", mods: [] });
    await expect(resolve()).rejects.toThrow(`hash mismatch for ${jar}: PaperMC publishes sha256 `);
    expect(await pinned(jar)).toBe(0);
    expect(await resolve()).toMatchObject({ type: "paper", loader: "132" });
    expect(await pinned(jar)).toBe(1);
  });

  it("Purpur: a jar short of its published md5 is refused, and the right bytes later resolve", async () => {
    const source = shortOnce(PURPUR_JAR);
    const resolve = () => resolveManifest(database.db, source, { type: "purpur", minecraftVersion: "1.21.1", mods: [] });
    await expect(resolve()).rejects.toThrow(`hash mismatch for ${PURPUR_JAR}: Purpur publishes md5 `);
    expect(await pinned(PURPUR_JAR)).toBe(0);
    expect(await resolve()).toMatchObject({ type: "purpur", loader: "2328" });
  });
});
