import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FABRIC_LAUNCHER_JAR, mirrorPath, mirrorSource, OFFLINE_MIRROR_DIR, VANILLA_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../src/fabric/errors";
import { resolveManifest } from "../src/fabric/resolveManifest";

/** The offline mirror (the real services' shapes), with every URL asked for recorded. */
function recordingSource(asked: string[]): ArtifactSource {
  const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  return new Proxy(mirror, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (url: string, ...rest: unknown[]) => {
        asked.push(url);
        return value.call(target, url, ...rest);
      };
    },
  });
}

describe("resolving a vanilla server", () => {
  let database: Database;
  const asked: string[] = [];
  let source: ArtifactSource;
  const resolve = (over: { minecraftVersion?: string; mods?: { project: string }[]; loaderVersion?: string | null } = {}) =>
    resolveManifest(database.db, source, { type: "vanilla", minecraftVersion: "1.21.1", mods: [], ...over });

  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
    source = recordingSource(asked);
  });
  afterAll(async () => {
    await database.close();
  });

  it("pins Mojang's server jar at server.jar, with Mojang's sha1, the game's Java, and says to start it with java -jar server.jar", async () => {
    asked.length = 0;
    const m = await resolve();
    const versionJson = JSON.parse(await readFile(join(OFFLINE_MIRROR_DIR, mirrorPath(asked.find((u) => u.endsWith("/1.21.1.json"))!)), "utf8"));
    const server = versionJson.downloads.server as { url: string; sha1: string; size: number };
    expect(m).toMatchObject({ schema: 2, type: "vanilla", launch: { jar: VANILLA_SERVER_JAR }, game: "1.21.1", loader: "", installer: "", mods: [] });
    expect(m.files).toEqual([{ path: VANILLA_SERVER_JAR, url: server.url, kind: "server", size: server.size, sha1: server.sha1, sha512: expect.stringMatching(/^[0-9a-f]{128}$/) }]);
    expect(m.java).toMatchObject({ major: 21, path: "/opt/zlh/java/21" });
    // Nothing of Fabric's, nor Modrinth's, is asked for.
    expect(asked.filter((u) => /fabricmc|modrinth/.test(u))).toEqual([]);
  });

  it("takes the Java the game names: 25 for 26.1", async () => {
    expect((await resolve({ minecraftVersion: "26.1" })).java).toMatchObject({ major: 25 });
  });

  it("refuses mods and a loader version (a vanilla server has no loader), and a game Mojang does not list, as final", async () => {
    await expect(resolve({ mods: [{ project: "fabric-api" }] })).rejects.toThrow(new ResolutionError("A vanilla server runs no mods; remove them, or choose the fabric type."));
    await expect(resolve({ loaderVersion: "0.16.5" })).rejects.toThrow(ResolutionError);
    await expect(resolve({ minecraftVersion: "1.21.99" })).rejects.toThrow(new ResolutionError("Mojang lists no Minecraft version 1.21.99."));
  });

  it("records the type and launcher of a Fabric manifest too; both types pin the same Mojang jar, each where its launcher looks", async () => {
    const fabric = await resolveManifest(database.db, source, { minecraftVersion: "1.21.1", mods: [] });
    expect(fabric).toMatchObject({ type: "fabric", launch: { jar: FABRIC_LAUNCHER_JAR } });
    expect(fabric.files.map((f) => f.path)).not.toContain(VANILLA_SERVER_JAR);
    const vanilla = await resolve();
    // The same Mojang jar, placed where each type's launcher looks for it.
    const mojang = fabric.files.find((f) => f.path === ".fabric/server/1.21.1-server.jar")!;
    expect({ ...vanilla.files[0], path: mojang.path }).toEqual(mojang);
  });
});
