/**
 * Builds fixtures/offline-mirror: small stand-in artifacts and the Fabric
 * meta, Quilt meta, Mojang piston-meta, Modrinth API v2 and Adoptium API v3 responses that resolve them,
 * stored by URL path (see mirrorPath). `pnpm dev` provisions from it with no
 * network; tests serve it through msw as "upstream".
 *
 * Shapes and semantics follow the real services (read from their public source code,
 * and the recorded responses in fixtures/upstream-samples), not our resolver's assumptions:
 *  - Fabric meta: the loader list is the same for every game, newest first,
 *    and exactly one loader is `stable` (the newest stable build); real
 *    version numbers from meta-v2/loader.json, 0.11.7 included (too old for
 *    unattended server installs); an unknown game answers 400 with `[]`;
 *    the 2026 game 26.1 has the no-op intermediary 0.0.0;
 *  - jars are real zips: the loader jar's manifest names its Main-Class, and
 *    the installer's Maven `-server` jar (deflated, as Maven serves it) is
 *    what the launcher is built from; meta's launcher endpoint serves that jar
 *    with install.properties added (400 for loader 0.11.7), as meta does;
 *  - Mojang: version ids and URLs as piston-meta lists them (1.20.1, 1.21.1,
 *    26.1), each version JSON naming its Java (`javaVersion`: 17, 21, 25)
 *    and, as Mojang publishes them up to 1.21.x (26.1 on is unobfuscated
 *    and has none), its server mappings (`downloads.server_mappings`,
 *    served on piston-data: NeoForge's installer's DOWNLOAD_MOJMAPS needs them);
 *  - NeoForge's Maven: maven-metadata.xml and one build's stand-in installer
 *    (compiled with this machine's javac) with its .sha256 and .sha1, and the
 *    libraries it expects pre-placed (./standinGame/neoforgeInstaller.ts);
 *  - Purpur's API v2: as PurpurMC/papyrus's controllers answer (`latest` the
 *    newest build that succeeded, a failed build listed with `md5: null`);
 *  - Adoptium API v3: the feature listings of those Javas in the API's shapes
 *    (./offlineMirror/adoptiumRelease.ts); 21 and 25 are stand-in JREs, 17 a
 *    real one built from this machine's JDK (./offlineMirror/machineJre.ts,
 *    not committed);
 *  - Modrinth: ids from the real projects where there is one; fabric-api's
 *    newest version is a beta; chunky publishes the same version number for
 *    Fabric and NeoForge; c2me has only betas for 1.21.1; lithium's only file
 *    has `primary: false`; sodium and modmenu are client-side
 *    (`server_side: unsupported`); starlight declares phosphor incompatible.
 * Deterministic: running it again produces the same files.
 *   pnpm tsx scripts/buildOfflineMirror.ts
 */
import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { unzipSync, zipSync } from "fflate";
import { adoptiumReleasesUrl, FABRIC_MAVEN, installProperties, mavenPath, mirrorPath, mirrorRefusalPath, OFFLINE_MIRROR_DIR, QUILT_MAVEN, renderJavaManifest } from "@zlh/artifacts";
import { temurinJreLink, temurinRelease, temurinReleaseName, type TemurinBuild } from "./offlineMirror/adoptiumRelease";
import { standInJre } from "./offlineMirror/jreArchive";
import { ensureMachineJre } from "./offlineMirror/machineJre";
import { buildStandinNeoforge, mojangMappingsDownload, neoforgeMavenFiles, standinServerMappings } from "./standinGame/neoforgeInstaller";
import { standinPatch } from "./standinGame/standinPaperclip";

const files = new Map<string, Uint8Array>();
const refusals = new Map<string, string>();
const put = (url: string, body: string | Uint8Array) => files.set(url, typeof body === "string" ? new TextEncoder().encode(body) : body);
const json = (url: string, value: unknown) => put(url, JSON.stringify(value, null, 2));
const hash = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);
/** A stand-in jar: a real zip (deflated, fixed timestamps) whose one class file names what it stands for. */
const jar = (name: string, manifest: [string, string][] = [], extra: Record<string, Uint8Array> = {}) =>
  zipSync(
    {
      "META-INF/MANIFEST.MF": text(renderJavaManifest(manifest)),
      "zerolaghub-fixture.txt": text(`ZeroLagHub offline fixture, not the real jar: ${name}\n${"#".repeat(200)}\n`),
      ...extra,
    },
    { level: 6, mtime: new Date(1980, 0, 1) },
  );

const META = "https://meta.fabricmc.net/v2";
/** The NeoForge build the mirror serves an installer of (1.21.1's newest release there). */
const NEOFORGE_VERSION = "21.1.77";
const GAMES = ["1.20.1", "1.21.1", "26.1"] as const;
/** Each game's `javaVersion` as Mojang's version JSONs name it (17 up to 1.20.4, 21 from 1.20.5, 25 for the 26.x line). */
const JAVA = { "1.20.1": { component: "java-runtime-gamma", majorVersion: 17 }, "1.21.1": { component: "java-runtime-delta", majorVersion: 21 }, "26.1": { component: "java-runtime-epsilon", majorVersion: 25 } } as const;
const RELEASED = { "1.20.1": "2023-06-12T13:25:51+00:00", "1.21.1": "2024-08-08T12:24:45+00:00", "26.1": "2026-03-24T12:11:04+00:00" } as const;

// ---- Fabric meta and maven.
const libraries = ["org.ow2.asm:asm:9.6", "org.ow2.asm:asm-tree:9.6", "net.fabricmc:sponge-mixin:0.15.3+mixin.0.8.7"].map((name) => {
  const bytes = jar(name);
  put(`${FABRIC_MAVEN}${mavenPath(name)}`, bytes);
  return { md5: hash("md5", bytes), name, sha1: hash("sha1", bytes), sha256: hash("sha256", bytes), sha512: hash("sha512", bytes), size: bytes.byteLength, url: FABRIC_MAVEN };
});
const loaders = [
  { version: "0.19.3", build: 3, stable: true },
  { version: "0.19.2", build: 2, stable: false },
  { version: "0.16.5", build: 5, stable: false },
  { version: "0.16.4", build: 4, stable: false },
  { version: "0.11.7", build: 7, stable: false },
];
for (const l of loaders) {
  put(
    `${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-loader:${l.version}`)}`,
    jar(`fabric-loader ${l.version}`, [["Main-Class", "net.fabricmc.loader.impl.launch.server.FabricServerLauncher"]], {
      "fabric-installer.json": text(JSON.stringify({ version: 2, mainClass: { server: "net.fabricmc.loader.impl.launch.knot.KnotServer" } })),
    }),
  );
}
json(`${META}/versions/loader`, loaders.map((l) => ({ separator: ".", build: l.build, maven: `net.fabricmc:fabric-loader:${l.version}`, version: l.version, stable: l.stable })));
const installers = [
  { version: "1.0.2", stable: false },
  { version: "1.0.1", stable: true },
];
json(
  `${META}/versions/installer`,
  installers.map((i) => ({ url: `${FABRIC_MAVEN}net/fabricmc/fabric-installer/${i.version}/fabric-installer-${i.version}.jar`, maven: `net.fabricmc:fabric-installer:${i.version}`, version: i.version, stable: i.stable })),
);
for (const i of installers) {
  put(
    `${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-installer:${i.version}:server`)}`,
    jar(`fabric-installer ${i.version} server`, [["Main-Class", "net.fabricmc.installer.ServerLauncher"]], {
      "net/fabricmc/installer/ServerLauncher.class": text(`stand-in for ServerLauncher ${i.version}`),
    }),
  );
}
for (const game of GAMES) {
  const intermediary = game.startsWith("26.") ? "0.0.0" : game;
  if (intermediary !== "0.0.0") put(`${FABRIC_MAVEN}${mavenPath(`net.fabricmc:intermediary:${game}`)}`, jar(`intermediary ${game}`));
  json(
    `${META}/versions/loader/${game}`,
    loaders.map((l) => ({
      loader: { separator: ".", build: l.build, maven: `net.fabricmc:fabric-loader:${l.version}`, version: l.version, stable: l.stable },
      intermediary: { maven: `net.fabricmc:intermediary:${intermediary}`, version: intermediary, stable: true },
      launcherMeta: {
        version: 2,
        min_java_version: 8,
        libraries: { client: [], common: libraries, server: [], development: [] },
        mainClass: { client: "net.fabricmc.loader.impl.launch.knot.KnotClient", server: "net.fabricmc.loader.impl.launch.knot.KnotServer" },
      },
    })),
  );
}
// Meta's answer for a game it does not know (EndpointsV2): 400 with an empty list.
refusals.set(`${META}/versions/loader/1.21.99`, "[]");
// Meta's launcher endpoint (ServerBootstrap), which the resolver does not use (see docs/design/manifests.md): the
// installer's -server jar with install.properties added; 400 below loader 0.12.
for (const game of GAMES) {
  for (const l of loaders) {
    for (const i of installers) {
      const url = `${META}/versions/loader/${game}/${l.version}/${i.version}/server/jar`;
      if (l.version === "0.11.7") {
        refusals.set(url, "Fabric loader 0.12 or higher is required for unattended server installs. Please use a newer fabric loader version, or the full installer.");
        continue;
      }
      const installer = unzipSync(files.get(`${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-installer:${i.version}:server`)}`)!);
      put(url, zipSync({ ...installer, "install.properties": text(installProperties(l.version, game)) }, { level: 6, mtime: new Date(1980, 0, 1) }));
    }
  }
}

// ---- Quilt meta v3 and Quilt's Maven (update-quilt-meta Main, quilt-installer InstallServer): the loader list
// for a game, newest first, with no `stable` flag (a beta, 0.27.0-beta.1, is the newest: the installer skips
// versions with a `-`); each loader's server launch profile (`.../<game>/<loader>/server/json`) with
// `launcherMainClass` and `libraries` as meta builds them: the loader's common libraries, then hashed,
// intermediary and the loader, each { name, url } with no hash. Maven publishes `<jar>.sha1` beside each jar.
// A game meta does not know (26.1 here) is a 404: meta is static files.
const QUILT_META = "https://meta.quiltmc.org/v3";
const QUILT_GAMES = ["1.20.1", "1.21.1"] as const;
const quiltLoaders = [
  { version: "0.27.0-beta.1", build: 1, separator: "." },
  { version: "0.26.4", build: 4, separator: "." },
  { version: "0.26.3", build: 3, separator: "." },
];
const quiltCommon = [
  { name: "net.fabricmc:sponge-mixin:0.15.3+mixin.0.8.7", url: FABRIC_MAVEN },
  { name: "org.quiltmc:quilt-json5:1.0.4+final", url: QUILT_MAVEN },
  { name: "org.ow2.asm:asm:9.6", url: FABRIC_MAVEN },
  { name: "org.ow2.asm:asm-tree:9.6", url: FABRIC_MAVEN },
  { name: "org.quiltmc:quilt-config:1.3.2", url: QUILT_MAVEN },
];
for (const lib of quiltCommon) if (lib.url === QUILT_MAVEN) put(`${QUILT_MAVEN}${mavenPath(lib.name)}`, jar(lib.name));
for (const l of quiltLoaders) {
  put(
    `${QUILT_MAVEN}${mavenPath(`org.quiltmc:quilt-loader:${l.version}`)}`,
    jar(`quilt-loader ${l.version}`, [], {
      "org/quiltmc/loader/impl/launch/server/QuiltServerLauncher.class": text(`stand-in for QuiltServerLauncher ${l.version}`),
      "quilt_installer.json": text(JSON.stringify({ version: 2, mainClass: { server: "org.quiltmc.loader.impl.launch.knot.KnotServer", serverLauncher: "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher" } })),
    }),
  );
}
for (const game of QUILT_GAMES) {
  put(`${QUILT_MAVEN}${mavenPath(`org.quiltmc:hashed:${game}`)}`, jar(`hashed ${game}`));
  const hashed = { maven: `org.quiltmc:hashed:${game}`, version: game };
  const intermediary = { maven: `net.fabricmc:intermediary:${game}`, version: game };
  json(
    `${QUILT_META}/versions/loader/${game}`,
    quiltLoaders.map((l) => ({
      loader: { separator: l.separator, build: l.build, maven: `org.quiltmc:quilt-loader:${l.version}`, version: l.version },
      hashed,
      intermediary,
      launcherMeta: {
        version: 2,
        min_java_version: 8,
        libraries: { client: [], common: quiltCommon, server: [], development: [] },
        mainClass: { client: "org.quiltmc.loader.impl.launch.knot.KnotClient", server: "org.quiltmc.loader.impl.launch.knot.KnotServer", serverLauncher: "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher" },
      },
    })),
  );
  for (const l of quiltLoaders) {
    json(`${QUILT_META}/versions/loader/${game}/${l.version}/server/json`, {
      id: `quilt-loader-${l.version}-${game}`,
      inheritsFrom: game,
      type: "release",
      mainClass: "org.quiltmc.loader.impl.launch.knot.KnotServer",
      launcherMainClass: "org.quiltmc.loader.impl.launch.server.QuiltServerLauncher",
      arguments: { game: [] },
      libraries: [...quiltCommon, { name: hashed.maven, url: QUILT_MAVEN }, { name: intermediary.maven, url: FABRIC_MAVEN }, { name: `org.quiltmc:quilt-loader:${l.version}`, url: QUILT_MAVEN }],
      releaseTime: "2024-08-20T10:00:00+0000",
      time: "2024-08-20T10:00:00+0000",
    });
  }
}
// Maven's checksum beside every jar of both repositories (Quilt's resolver pins by it; meta publishes no hash).
for (const [url, body] of [...files.entries()]) if ((url.startsWith(QUILT_MAVEN) || url.startsWith(FABRIC_MAVEN)) && url.endsWith(".jar")) put(`${url}.sha1`, hash("sha1", body));

// ---- Mojang: version manifest -> version JSON -> server jar (sha1 published).
// Each server jar is a bundler, as Mojang's are since 1.18: the game's own jar inside it under
// META-INF/versions/ (listed in versions.list with its sha256), which Paperclip patches.
const innerServerJars = new Map<string, Uint8Array>();
/** Whether Mojang publishes server mappings for the game: not from 26.1, which ships unobfuscated. */
const MAPPED: Record<(typeof GAMES)[number], boolean> = { "1.20.1": true, "1.21.1": true, "26.1": false };
const mojangServerJars = new Map<string, { url: string; bytes: Uint8Array }>();
const mojangVersions = GAMES.map((game) => {
  const inner = jar(`minecraft server ${game} (the game, inside the bundler)`, [["Main-Class", "net.minecraft.server.Main"]]);
  innerServerJars.set(game, inner);
  const serverJar = jar(`minecraft_server ${game}`, [["Main-Class", "net.minecraft.bundler.Main"]], {
    "META-INF/main-class": text("net.minecraft.server.Main"),
    "META-INF/versions.list": text(`${hash("sha256", inner)}\t${game}\t${game}/server-${game}.jar\n`),
    [`META-INF/versions/${game}/server-${game}.jar`]: inner,
  });
  const serverUrl = `https://piston-data.mojang.com/v1/objects/${hash("sha1", serverJar)}/server.jar`;
  put(serverUrl, serverJar);
  mojangServerJars.set(game, { url: serverUrl, bytes: serverJar });
  const mappings = standinServerMappings(game);
  const serverMappings = mojangMappingsDownload(mappings);
  if (MAPPED[game]) put(serverMappings.url, mappings);
  const versionJson = JSON.stringify({
    id: game,
    type: "release",
    mainClass: "net.minecraft.client.main.Main",
    javaVersion: JAVA[game],
    downloads: {
      client: { sha1: "0".repeat(40), size: 1, url: `https://piston-data.mojang.com/v1/objects/${"0".repeat(40)}/client.jar` },
      server: { sha1: hash("sha1", serverJar), size: serverJar.byteLength, url: serverUrl },
      ...(MAPPED[game] ? { server_mappings: serverMappings } : {}),
    },
  });
  const sha1 = hash("sha1", text(versionJson));
  const url = `https://piston-meta.mojang.com/v1/packages/${sha1}/${game}.json`;
  put(url, versionJson);
  const time = RELEASED[game];
  return { id: game, type: "release", url, time, releaseTime: time, sha1, complianceLevel: 1 };
});
json("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json", { latest: { release: "26.1", snapshot: "26.1" }, versions: mojangVersions.reverse() });

// ---- PaperMC downloads API v3, "Fill" (fill.papermc.io/v3; shapes from PaperMC/fill's Api3MetaController
// and the recordings in fixtures/upstream-samples/papermc): a version's builds, a JSON array newest first,
// each `{ id, time, channel, commits, downloads }` with `channel` one of ALPHA, BETA, STABLE, RECOMMENDED
// and `downloads["server:default"]` `{ name, checksums: { sha256 }, size, url }`, the jar on
// fill-data.papermc.io/v1/objects/<sha256>/<name>. An unknown version is a 404. Each jar is a stand-in
// Paperclip laid out as the real one (PaperMC/Paperclip): a download context naming Mojang's jar (sha256,
// url, cache file name), a patch of the game's jar inside it (a stand-in patch, not a real bsdiff: the
// stand-in Paperclip of real containers applies it, tools/standin-server/src/Paperclip.java), the versions
// and libraries lists and the main class.
const PAPER_GAME = "1.21.1";
const paperBuilds = [
  { id: 133, time: "2024-11-10T18:20:17.004Z", channel: "ALPHA" },
  { id: 132, time: "2024-11-02T14:51:03.553Z", channel: "STABLE" },
  { id: 131, time: "2024-10-20T09:12:41.102Z", channel: "STABLE" },
].map((b) => {
  const mojang = mojangServerJars.get(PAPER_GAME)!;
  const inner = innerServerJars.get(PAPER_GAME)!;
  const patched = jar(`paper ${PAPER_GAME} build ${b.id} (the patched game)`, [["Main-Class", "net.minecraft.server.Main"]]);
  const patch = standinPatch(patched);
  const library = jar("com.google.guava:guava:33.3.1-jre");
  const libraryPath = "com/google/guava/guava/33.3.1-jre/guava-33.3.1-jre.jar";
  const name = `paper-${PAPER_GAME}-${b.id}.jar`;
  const paperJar = jar(`paper ${PAPER_GAME} build ${b.id}`, [["Main-Class", "io.papermc.paperclip.Main"]], {
    "META-INF/download-context": text(`${hash("sha256", mojang.bytes)}\t${mojang.url}\tmojang_${PAPER_GAME}.jar`),
    "META-INF/patches.list": text(
      `versions\t${hash("sha256", inner)}\t${hash("sha256", patch)}\t${hash("sha256", patched)}\t${PAPER_GAME}/server-${PAPER_GAME}.jar\t${PAPER_GAME}/paper-${PAPER_GAME}.jar.patch\t${PAPER_GAME}/paper-${PAPER_GAME}.jar\n`,
    ),
    [`META-INF/versions/${PAPER_GAME}/paper-${PAPER_GAME}.jar.patch`]: patch,
    "META-INF/versions.list": text(`${hash("sha256", patched)}\tpaper-${PAPER_GAME}\t${PAPER_GAME}/paper-${PAPER_GAME}.jar\n`),
    "META-INF/libraries.list": text(`${hash("sha256", library)}\tcom.google.guava:guava:33.3.1-jre\t${libraryPath}\n`),
    [`META-INF/libraries/${libraryPath}`]: library,
    "META-INF/main-class": text("io.papermc.paper.PaperBootstrap"),
  });
  const sha256 = hash("sha256", paperJar);
  const url = `https://fill-data.papermc.io/v1/objects/${sha256}/${name}`;
  put(url, paperJar);
  const commits = [{ sha: hash("sha1", text(name)), time: b.time, message: `Build ${b.id}\n` }];
  return { ...b, commits, downloads: { "server:default": { name, checksums: { sha256 }, size: paperJar.byteLength, url } } };
});
json(`https://fill.papermc.io/v3/projects/paper/versions/${PAPER_GAME}/builds`, paperBuilds);

// ---- Purpur's API v2 (api.purpurmc.org/v2/purpur), as PurpurMC/papyrus's v2 controllers answer it
// (fixtures/upstream-samples/README.md says where each field comes from): a version lists its builds
// (`builds.all`, failed ones too, oldest first by timestamp) and `builds.latest`, the newest build that
// succeeded and has a jar, not the newest listed; each build has every field papyrus sends, in its order,
// its `result` SUCCESS or FAILURE and its jar's md5 (`null` for a failed build: it has none); the jar at
// .../<build>/download. The newest build here failed (as Purpur's do at times). An unknown version is a 404.
// Purpur is a Paper fork: its jar is a Paperclip laid out as Paper's.
const purpurBuilds = [
  { build: "2327", result: "SUCCESS", timestamp: 1729411200000 },
  { build: "2328", result: "SUCCESS", timestamp: 1730534400000 },
  { build: "2329", result: "FAILURE", timestamp: 1731225600000 },
];
for (const b of purpurBuilds) {
  const base = `https://api.purpurmc.org/v2/purpur/${PAPER_GAME}/${b.build}`;
  const commits = [{ author: "Purpur", email: "purpur@example.invalid", description: `Build ${b.build}`, hash: hash("sha1", text(base)), timestamp: b.timestamp - 600000 }];
  let md5: string | null = null;
  if (b.result === "SUCCESS") {
    const mojang = mojangServerJars.get(PAPER_GAME)!;
    const library = jar("com.google.guava:guava:33.3.1-jre");
    const libraryPath = "com/google/guava/guava/33.3.1-jre/guava-33.3.1-jre.jar";
    const purpurJar = jar(`purpur ${PAPER_GAME} build ${b.build}`, [["Main-Class", "io.papermc.paperclip.Main"]], {
      "META-INF/download-context": text(`${hash("sha256", mojang.bytes)}\t${mojang.url}\tmojang_${PAPER_GAME}.jar`),
      "META-INF/versions.list": text(`${hash("sha256", innerServerJars.get(PAPER_GAME)!)}\t${PAPER_GAME}\t${PAPER_GAME}/server-${PAPER_GAME}.jar\n`),
      "META-INF/libraries.list": text(`${hash("sha256", library)}\tcom.google.guava:guava:33.3.1-jre\t${libraryPath}\n`),
      [`META-INF/libraries/${libraryPath}`]: library,
      "META-INF/main-class": text("org.bukkit.craftbukkit.Main"),
    });
    put(`${base}/download`, purpurJar);
    md5 = hash("md5", purpurJar);
  }
  json(base, { project: "purpur", version: PAPER_GAME, build: b.build, result: b.result, timestamp: b.timestamp, duration: 412000, commits, metadata: {}, md5 });
}
json("https://api.purpurmc.org/v2/purpur", { project: "purpur", metadata: { current: PAPER_GAME }, versions: [PAPER_GAME] });
json(`https://api.purpurmc.org/v2/purpur/${PAPER_GAME}`, {
  project: "purpur",
  version: PAPER_GAME,
  builds: { latest: purpurBuilds.filter((b) => b.result === "SUCCESS").at(-1)!.build, all: purpurBuilds.map((b) => b.build) },
});

// ---- NeoForge's Maven (maven.neoforged.net/releases): maven-metadata.xml (oldest first; 21.0.167 is
// Minecraft 1.21's, so a pin of it on a 1.21.1 server is refused as another game's), and for 1.21.1 one build's installer with the .sha256 and .sha1 its Maven publishes beside it, and
// the libraries its profile names. The installer is the stand-in (tools/standin-neoforge, compiled with this
// machine's javac: a few KB of classes), laid out as the real one; its processors take the game jar out of the
// bundler above. So `pnpm dev` (which runs the installer with the machine's java) provisions NeoForge offline.
{
  const neo = await buildStandinNeoforge({ version: NEOFORGE_VERSION, game: "1.21.1", mojangInner: innerServerJars.get("1.21.1")! });
  for (const [url, body] of neoforgeMavenFiles([neo], ["21.0.167", NEOFORGE_VERSION])) put(url, body);
  const installer = `https://maven.neoforged.net/releases/net/neoforged/neoforge/${NEOFORGE_VERSION}/neoforge-${NEOFORGE_VERSION}-installer.jar`;
  put(`${installer}.sha1`, hash("sha1", neo.installer));
}

// ---- Adoptium API v3: the feature releases the games need, newest first, JREs for linux/x64. Java 21
// and 25 are small stand-ins (like the jars); Java 17 is a real JRE built from this machine's JDK by
// ./offlineMirror/machineJre.ts, not committed (see fixtures/offline-mirror/README.md).
const standInJres: TemurinBuild[] = [
  { major: 21, minor: 0, security: 7, build: 6, published: "2025-04-16T00:00:00Z" },
  { major: 21, minor: 0, security: 6, build: 7, published: "2025-01-22T00:00:00Z" },
  { major: 25, minor: 0, security: 1, build: 8, published: "2025-10-22T00:00:00Z" },
];
for (const major of [21, 25]) {
  const releases = standInJres.filter((b) => b.major === major).map((b) => {
    const archive = standInJre(temurinReleaseName(b), `${b.major}.${b.minor}.${b.security}`);
    put(temurinJreLink(b, "x64"), archive);
    return temurinRelease(b, [{ architecture: "x64", archive: { size: archive.byteLength, sha256: hash("sha256", archive) } }]);
  });
  json(adoptiumReleasesUrl(major, "x64"), releases);
}

// ---- Modrinth: projects (by slug and by id), version lists, versions, files.
type Dep = { project_id: string; dependency_type: "required" | "optional" | "incompatible" };
interface FixtureVersion {
  id: string;
  number: string;
  type: "release" | "beta" | "alpha";
  date: string;
  loaders?: string[];
  games?: string[];
  deps?: Dep[];
  primary?: boolean;
  /** The jar's fabric.mod.json, which Fabric Loader reads at startup (its `depends` are checked then, not by Modrinth). */
  modJson?: Record<string, unknown>;
}
const projects: { id: string; slug: string; title: string; server: string; client: string; versions: FixtureVersion[] }[] = [
  { id: "P7dR8mSH", slug: "fabric-api", title: "Fabric API", server: "optional", client: "optional", versions: [
    { id: "yGAe1owa", number: "0.103.0+1.21.1", type: "beta", date: "2024-09-01T10:00:00.000000Z" },
    { id: "VwBUsRBM", number: "0.102.1+1.21.1", type: "release", date: "2024-08-20T10:00:00.000000Z" },
    { id: "Kf2ZTlGz", number: "0.102.0+1.21.1", type: "release", date: "2024-08-10T10:00:00.000000Z" },
    { id: "q26Fapi1", number: "0.140.0+26.1", type: "release", date: "2026-03-25T10:00:00.000000Z", games: ["26.1"] },
  ] },
  { id: "gvQqBUqZ", slug: "lithium", title: "Lithium", server: "optional", client: "optional", versions: [
    { id: "5szYtenV", number: "mc1.21.1-0.13.0", type: "release", date: "2024-08-15T10:00:00.000000Z", primary: false },
  ] },
  { id: "fALzjamp", slug: "chunky", title: "Chunky", server: "required", client: "optional", versions: [
    { id: "Xn9kqNeo", number: "1.4.16", type: "release", date: "2024-06-17T06:00:14.000000Z", loaders: ["neoforge"], games: ["1.21", "1.21.1"] },
    { id: "dPliWter", number: "1.4.16", type: "release", date: "2024-06-17T06:00:13.853652Z", games: ["1.21", "1.21.1"], deps: [{ project_id: "P7dR8mSH", dependency_type: "required" }] },
  ] },
  { id: "VSNURh3q", slug: "c2me-fabric", title: "Concurrent Chunk Management Engine", server: "optional", client: "optional", versions: [
    { id: "c2mBeta2", number: "0.3.0+beta.2+1.21.1", type: "beta", date: "2024-09-10T10:00:00.000000Z" },
    { id: "c2mAlph1", number: "0.3.0+alpha.1+1.21.1", type: "alpha", date: "2024-08-30T10:00:00.000000Z" },
  ] },
  { id: "mOgUt4GM", slug: "modmenu", title: "Mod Menu", server: "unsupported", client: "required", versions: [
    { id: "YIfqIJ8q", number: "11.0.2", type: "release", date: "2024-08-25T10:00:00.000000Z", deps: [{ project_id: "P7dR8mSH", dependency_type: "required" }] },
  ] },
  { id: "AANobbMI", slug: "sodium", title: "Sodium", server: "unsupported", client: "required", versions: [
    { id: "u1OEbNKx", number: "mc1.21.1-0.6.0", type: "release", date: "2024-08-30T10:00:00.000000Z" },
  ] },
  // Real projects; their 1.21.1 versions here are fixtures for the incompatibility rule.
  { id: "H8CaAYZC", slug: "starlight", title: "Starlight", server: "optional", client: "optional", versions: [
    { id: "stLt1211", number: "1.1.3+fabric.1.21.1", type: "release", date: "2024-08-12T10:00:00.000000Z", deps: [{ project_id: "hEOCdOgW", dependency_type: "incompatible" }] },
  ] },
  { id: "hEOCdOgW", slug: "phosphor", title: "Phosphor", server: "optional", client: "optional", versions: [
    { id: "phos1211", number: "0.8.1+1.21.1", type: "release", date: "2024-08-11T10:00:00.000000Z" },
  ] },
  // A fixture for a change that breaks a server: Modrinth lists it for Fabric and 1.21.1, so it resolves,
  // but its fabric.mod.json needs a newer Fabric Loader than any the server can have, and Fabric Loader
  // refuses to start the game with it (as it does whenever a mod's `depends` are not met).
  { id: "NeedLdr1", slug: "needs-new-loader", title: "Needs New Loader", server: "optional", client: "optional", versions: [
    { id: "nnl10000", number: "1.0.0", type: "release", date: "2024-09-02T10:00:00.000000Z",
      modJson: { schemaVersion: 1, id: "needs_new_loader", version: "1.0.0", name: "Needs New Loader", depends: { fabricloader: ">=0.99.0", minecraft: "~1.21.1" } } },
  ] },
  // Quilt Standard Libraries: for Quilt only (a Fabric server cannot have it; a Quilt server can, beside Fabric mods).
  { id: "qvIfYCYJ", slug: "qsl", title: "Quilt Standard Libraries", server: "optional", client: "optional", versions: [
    { id: "qsl71211", number: "10.0.0-alpha.1+1.21.1", type: "release", date: "2024-08-22T10:00:00.000000Z", loaders: ["quilt"] },
  ] },
];
const API = "https://api.modrinth.com/v2";
for (const p of projects) {
  const all = p.versions.map((v) => {
    const filename = `${p.slug}-${v.number}.jar`;
    const bytes = jar(`${p.slug} ${v.number} (${(v.loaders ?? ["fabric"]).join(",")})`, [], v.modJson ? { "fabric.mod.json": text(JSON.stringify(v.modJson, null, 2)) } : {});
    const url = `https://cdn.modrinth.com/data/${p.id}/versions/${v.id}/${encodeURIComponent(filename)}`;
    put(url, bytes);
    return {
      game_versions: v.games ?? ["1.21.1"], loaders: v.loaders ?? ["fabric"],
      id: v.id, project_id: p.id, author_id: "fixture", featured: false, name: `${p.title} ${v.number}`, version_number: v.number,
      changelog: "", changelog_url: null, date_published: v.date, downloads: 0, version_type: v.type, status: "listed", requested_status: null,
      files: [{ hashes: { sha512: hash("sha512", bytes), sha1: hash("sha1", bytes) }, url, filename, primary: v.primary ?? true, size: bytes.byteLength, file_type: null }],
      dependencies: (v.deps ?? []).map((d) => ({ version_id: null, project_id: d.project_id, file_name: null, dependency_type: d.dependency_type })),
    };
  });
  const project = {
    client_side: p.client, server_side: p.server, game_versions: [...new Set(all.flatMap((v) => v.game_versions))].sort(), id: p.id, slug: p.slug,
    project_type: "mod", team: "fixture", organization: null, title: p.title, description: `${p.title} (offline fixture)`, body: "", body_url: null,
    published: "2024-01-01T00:00:00.000000Z", updated: "2024-09-01T00:00:00.000000Z", approved: "2024-01-01T00:00:00.000000Z", queued: null,
    status: "approved", requested_status: null, moderator_message: null, license: { id: "MIT", name: "MIT License", url: null }, downloads: 0,
    followers: 0, categories: [], additional_categories: [], loaders: [...new Set(all.flatMap((v) => v.loaders))].sort(), versions: all.map((v) => v.id),
    icon_url: null, issues_url: null, source_url: null, wiki_url: null, discord_url: null, donation_urls: [], gallery: [], color: null, thread_id: "fixture",
    monetization_status: "monetized",
  };
  json(`${API}/project/${p.slug}`, project);
  json(`${API}/project/${p.id}`, project);
  const newestFirst = [...all].sort((a, b) => b.date_published.localeCompare(a.date_published));
  json(`${API}/project/${p.id}/version`, newestFirst);
  for (const game of GAMES) {
    const filtered = newestFirst.filter((v) => v.loaders.includes("fabric") && v.game_versions.includes(game));
    json(`${API}/project/${p.id}/version?${new URLSearchParams({ loaders: JSON.stringify(["fabric"]), game_versions: JSON.stringify([game]) })}`, filtered);
    // A Quilt server's query: the `loaders` facet matches a version listed for any of them.
    const quiltOrFabric = newestFirst.filter((v) => v.loaders.some((l) => l === "quilt" || l === "fabric") && v.game_versions.includes(game));
    json(`${API}/project/${p.id}/version?${new URLSearchParams({ loaders: JSON.stringify(["quilt", "fabric"]), game_versions: JSON.stringify([game]) })}`, quiltOrFabric);
  }
  for (const v of all) json(`${API}/version/${v.id}`, v);
}

// A Modrinth modpack (docs/modpacks.md): a project whose versions' primary file is a `.mrpack` listing mods of
// this mirror (by their URLs and hashes), a client-only one, and overrides for the server and the client.
{
  const PACK = { id: "ZlhPack1", slug: "zlh-offline-pack", title: "ZeroLagHub Offline Pack" };
  const mod = (path: string, url: string, server = "required") => {
    const bytes = files.get(url)!;
    return { path, hashes: { sha1: hash("sha1", bytes), sha512: hash("sha512", bytes) }, env: { client: "required", server }, downloads: [url], fileSize: bytes.byteLength };
  };
  const cdn = (project: string, version: string, name: string) => `https://cdn.modrinth.com/data/${project}/versions/${version}/${encodeURIComponent(name)}`;
  const versions = [{ id: "zlhPk100", number: "1.0.0", date: "2024-09-05T10:00:00.000000Z" }].map((v) => {
    const index = {
      formatVersion: 1, game: "minecraft", versionId: v.number, name: PACK.title, summary: "Offline fixture pack",
      files: [
        mod("mods/lithium.jar", cdn("gvQqBUqZ", "5szYtenV", "lithium-mc1.21.1-0.13.0.jar")),
        mod("mods/fabric-api.jar", cdn("P7dR8mSH", "Kf2ZTlGz", "fabric-api-0.102.0+1.21.1.jar")),
        mod("mods/sodium.jar", cdn("AANobbMI", "u1OEbNKx", "sodium-mc1.21.1-0.6.0.jar"), "unsupported"),
      ],
      dependencies: { minecraft: "1.21.1", "fabric-loader": "0.16.5" },
    };
    const bytes = zipSync(
      {
        "modrinth.index.json": text(JSON.stringify(index, null, 2)),
        "overrides/config/zlh-pack.toml": text(`pack = "${v.number}"\n`),
        "server-overrides/config/zlh-server.toml": text("server = true\n"),
        "client-overrides/options.txt": text("fov:90\n"),
      },
      { level: 6, mtime: new Date(1980, 0, 1) },
    );
    const filename = `zlh-offline-pack-${v.number}.mrpack`;
    const url = cdn(PACK.id, v.id, filename);
    put(url, bytes);
    return {
      game_versions: ["1.21.1"], loaders: ["fabric"], id: v.id, project_id: PACK.id, author_id: "fixture", featured: false, name: `${PACK.title} ${v.number}`,
      version_number: v.number, changelog: "", changelog_url: null, date_published: v.date, downloads: 0, version_type: "release", status: "listed", requested_status: null,
      files: [{ hashes: { sha512: hash("sha512", bytes), sha1: hash("sha1", bytes) }, url, filename, primary: true, size: bytes.byteLength, file_type: null }],
      dependencies: [],
    };
  });
  json(`${API}/project/${PACK.slug}/version`, versions);
  json(`${API}/project/${PACK.id}/version`, versions);
  for (const v of versions) json(`${API}/version/${v.id}`, v);
}

await rm(OFFLINE_MIRROR_DIR, { recursive: true, force: true });
const write = async (path: string, body: string | Uint8Array) => {
  await mkdir(dirname(join(OFFLINE_MIRROR_DIR, path)), { recursive: true });
  await writeFile(join(OFFLINE_MIRROR_DIR, path), body);
};
for (const [url, body] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) await write(mirrorPath(url), body);
for (const [url, body] of refusals) await write(mirrorRefusalPath(url), body);
await writeFile(
  join(OFFLINE_MIRROR_DIR, "README.md"),
  [
    "Generated by scripts/buildOfflineMirror.ts (which says what each part models): upstream responses and stand-in artifacts stored by URL path (`<host><path>[@<query>].body`); `.400` files hold the body of a URL upstream answers with 400.",
    "",
    "Java runtimes (Adoptium API v3, `api.adoptium.net/v3/assets/feature_releases/<feature>/ga@<query>.body`, and the JRE tarballs on `github.com/adoptium/temurin<feature>-binaries`):",
    "Java 21 and 25 are small committed stand-ins (Temurin's layout and names, a `bin/java` that runs the container's own java).",
    "Java 17 is a real JRE, too large to commit: scripts/offlineMirror/machineJre.ts builds it from this machine's JDK",
    "(`/usr/lib/jvm/java-17-openjdk-amd64`, or ZLH_FIXTURE_JDK; jlink, then a reproducible tar.gz in Temurin's layout) and writes",
    "Adoptium's feature 17 listing with the tarball's real size and sha256 beside it. Both are git-ignored (.gitignore here); tests that",
    "resolve or place Java 17 call `ensureMachineJre()` first, and this script runs it at the end, so `pnpm dev` has it too.",
    "",
  ].join("\n"),
);
await writeFile(join(OFFLINE_MIRROR_DIR, ".gitignore"), "# Built from this machine's JDK at test time (scripts/offlineMirror/machineJre.ts): see README.md.\n/api.adoptium.net/v3/assets/feature_releases/17/\n/github.com/adoptium/temurin17-binaries/\n");
ensureMachineJre();
console.log(`offline mirror: ${files.size} files and ${refusals.size} refusals in ${OFFLINE_MIRROR_DIR}`);
