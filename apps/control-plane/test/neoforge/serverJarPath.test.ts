import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError, sha1Hex, sha512Hex, type ArtifactSource } from "@zlh/artifacts";
import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { ResolutionError } from "../../src/fabric/errors";
import { neoforgeInstall } from "../../src/neoforge/install";
import { runInstaller } from "../../src/neoforge/runInstaller";
import { serverJarPathOf } from "../../src/neoforge/serverJar";
import { buildStandinNeoforge, neoforgeMavenFiles } from "../../../../scripts/standinGame/neoforgeInstaller";
import { standinInstallerJava } from "../../../../scripts/standinGame/installerJava";
import { mojangBundler } from "./mojangBundler";

const GAME = "1.21.1";
const LIBRARIES = ["net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar", "cpw/mods/bootstraplauncher/2.0.2/bootstraplauncher-2.0.2.jar"];
const refusal = (template: string, why: string) => new ResolutionError(`install_profile.json's serverJarPath ${JSON.stringify(template)} ${why}; refused.`);

describe("where Mojang's jar is pre-placed for the NeoForge installer (serverJarPath)", () => {
  it("fills {LIBRARY_DIR} and every {MINECRAFT_VERSION}", () => {
    expect(serverJarPathOf("{LIBRARY_DIR}/net/minecraft/server/{MINECRAFT_VERSION}/server-{MINECRAFT_VERSION}.jar", GAME, LIBRARIES)).toBe(`libraries/net/minecraft/server/${GAME}/server-${GAME}.jar`);
  });

  it("refuses, as the resolution's own refusal, a placeholder a server install does not fill (a second {LIBRARY_DIR} among them)", () => {
    for (const [template, left] of [
      ["{LIBRARY_DIR}/{ROOT}/server.jar", "{ROOT}"],
      ["{LIBRARY_DIR}/{LIBRARY_DIR}/server.jar", "{LIBRARY_DIR}"],
      ["{LIBRARY_DIR}/net/{MINECRAFT_VERSION/server.jar", "{MINECRAFT_VERSION/server.jar"],
    ] as const) {
      expect(() => serverJarPathOf(template, GAME, LIBRARIES)).toThrow(refusal(template, `names ${left}, which a server install does not fill`));
    }
  });

  it("refuses an empty or . segment", () => {
    for (const template of ["{LIBRARY_DIR}/net//server.jar", "{LIBRARY_DIR}/./server.jar", "{LIBRARY_DIR}/net/.hidden/-/./x.jar"]) {
      expect(() => serverJarPathOf(template, GAME, LIBRARIES)).toThrow(refusal(template, 'is not a plain relative path (an empty or "." segment)'));
    }
  });

  it("refuses a library's path, a folder of one, and a path inside one", () => {
    const lib = LIBRARIES[0]!;
    for (const template of [`{LIBRARY_DIR}/${lib}`, `{LIBRARY_DIR}/${lib}/inside.jar`]) {
      expect(() => serverJarPathOf(template, GAME, LIBRARIES)).toThrow(refusal(template, `is where the installer puts the library ${lib}`));
    }
    expect(() => serverJarPathOf("{LIBRARY_DIR}/net/neoforged/fancymodloader/loader.jar", GAME, ["net/neoforged/fancymodloader/loader.jar/x.jar"])).toThrow(
      refusal("{LIBRARY_DIR}/net/neoforged/fancymodloader/loader.jar", "is where the installer puts the library net/neoforged/fancymodloader/loader.jar/x.jar"),
    );
  });
});

describe("an installer whose serverJarPath is unusable", () => {
  let database: Database;
  const mojang = mojangBundler(GAME);
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  it("fails its resolution with that refusal before anything runs, and records nothing", async () => {
    const template = "{LIBRARY_DIR}/{LIBRARY_DIR}/server.jar";
    const neo = await buildStandinNeoforge({ version: "21.1.91", game: GAME, mojangInner: mojang.inner, serverJarPath: template });
    const mojangUrl = `https://piston-data.mojang.com/v1/objects/${sha1Hex(mojang.bundler)}/server.jar`;
    const files = new Map<string, Uint8Array>([...neoforgeMavenFiles([neo], [neo.version]), [mojangUrl, mojang.bundler]]);
    const fetchBytes = async (url: string) => files.get(url) ?? Promise.reject(new ArtifactNotFoundError(url));
    const source: ArtifactSource = { kind: "mirror", fetchBytes, fetchJson: async <T>(url: string): Promise<T> => JSON.parse(new TextDecoder().decode(await fetchBytes(url))) as T };
    let runs = 0;
    const counted: typeof runInstaller = (o) => (runs++, runInstaller(o));
    const file = { path: "server.jar", url: mojangUrl, size: mojang.bundler.byteLength, sha512: sha512Hex(mojang.bundler), sha1: sha1Hex(mojang.bundler), kind: "server" as const };
    await expect(neoforgeInstall(database.db, source, { game: GAME, version: "21.1.91", mojang: file, mappings: { url: `${mojangUrl}.txt`, size: 1, sha1: "0".repeat(40) }, javaMajor: 21, java: standinInstallerJava(21), run: counted })).rejects.toThrow(
      refusal(template, "names {LIBRARY_DIR}, which a server install does not fill"),
    );
    expect(runs).toBe(0);
    expect(await database.db.execute(sql`select 1 from neoforge_installs where neoforge_version = '21.1.91'`)).toHaveLength(0);
  });
});
