import {
  FABRIC_MAVEN,
  fabricInstallFiles,
  fabricLibraries,
  fabricServerMainClass,
  loaderJarMainClass,
  mavenPath,
  mirrorSource,
  OFFLINE_MIRROR_DIR,
  sha1Hex,
  sha512Hex,
  PAPER_SERVER_JAR,
  QUILT_LAUNCHER_JAR,
  QUILT_SERVER_JAR,
  quiltInstallFiles,
  quiltLibraryPath,
  quiltLibraryUrl,
  VANILLA_SERVER_JAR,
  vanillaServerJarPath,
  type DownloadedFile,
  type FabricLoaderEntry,
  type Manifest,
  type QuiltServerJson,
} from "@zlh/artifacts";

/** A test key for ZLH_SECRETS_KEY (32 zero-padded bytes, base64). */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString("base64");

const GAME = "1.21.1";
const LOADER = "0.16.5";
const INSTALLER = "1.0.1";
const offline = mirrorSource(OFFLINE_MIRROR_DIR, "offline");

async function pinned(url: string) {
  const bytes = await offline.fetchBytes(url);
  return { url, bytes, size: bytes.byteLength, sha512: sha512Hex(bytes), sha1: sha1Hex(bytes) };
}

async function file(path: string, url: string, kind: DownloadedFile["kind"]): Promise<DownloadedFile> {
  const { bytes: _bytes, ...digest } = await pinned(url);
  return { path, kind, ...digest };
}

/**
 * A complete manifest over the offline mirror's files (every Fabric file the
 * launcher checks for, the vanilla server, chosen mods), built with the same
 * pure function as the control plane's resolver, for agent tests that place
 * files without a control plane.
 */
export async function fixtureManifest(mods: { slug: string; projectId: string; versionId: string; version: string }[] = []): Promise<Manifest> {
  const entry = (await offline.fetchJson<FabricLoaderEntry[]>(`https://meta.fabricmc.net/v2/versions/loader/${GAME}`)).find((e) => e.loader.version === LOADER)!;
  const libraries = await Promise.all(fabricLibraries(entry).map(async (l) => ({ ...l, ...(await pinned(l.url)) })));
  const loaderJar = await pinned(`${FABRIC_MAVEN}${mavenPath(entry.loader.maven)}`);
  const fabric = fabricInstallFiles({
    game: GAME,
    loader: LOADER,
    libraries,
    mainClass: loaderJarMainClass(loaderJar.bytes),
    launchMainClass: fabricServerMainClass(entry)!,
    installer: await pinned(`${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-installer:${INSTALLER}:server`)}`),
  });
  const mojang = await offline.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await offline.fetchJson<{ downloads: { server: { url: string } } }>(mojang.versions.find((v) => v.id === GAME)!.url);
  const files = [
    ...fabric,
    await file(vanillaServerJarPath(GAME), version.downloads.server.url, "server"),
    ...(await Promise.all(
      mods.map((m) =>
        file(`mods/${m.slug}-${m.version}.jar`, `https://cdn.modrinth.com/data/${m.projectId}/versions/${m.versionId}/${encodeURIComponent(`${m.slug}-${m.version}.jar`)}`, "mod"),
      ),
    )),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    schema: 2,
    game: GAME,
    loader: LOADER,
    installer: INSTALLER,
    mods: mods.map((m) => ({ projectId: m.projectId, versionId: m.versionId, versionNumber: m.version, reason: "requested" as const })),
    files,
  };
}

export const FIXTURE_MODS = {
  fabricApi: { slug: "fabric-api", projectId: "P7dR8mSH", versionId: "VwBUsRBM", version: "0.102.1+1.21.1" },
  lithium: { slug: "lithium", projectId: "gvQqBUqZ", versionId: "5szYtenV", version: "mc1.21.1-0.13.0" },
  qsl: { slug: "qsl", projectId: "qvIfYCYJ", versionId: "qsl71211", version: "10.0.0-alpha.1+1.21.1" },
};

/** A vanilla manifest over the offline mirror: Mojang's server jar of 1.21.1 at server.jar, started by it. */
export async function fixtureVanillaManifest(): Promise<Manifest> {
  const mojang = await offline.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await offline.fetchJson<{ downloads: { server: { url: string } } }>(mojang.versions.find((v) => v.id === GAME)!.url);
  const server = await file(VANILLA_SERVER_JAR, version.downloads.server.url, "server");
  return { schema: 2, type: "vanilla", launch: { jar: VANILLA_SERVER_JAR }, game: GAME, loader: "", installer: "", mods: [], files: [server] };
}

/** A Paper manifest over the offline mirror: build 132 of 1.21.1 at paper.jar, Mojang's jar where its Paperclip looks (cache/mojang_1.21.1.jar). */
export async function fixturePaperManifest(): Promise<Manifest> {
  const mojang = await offline.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await offline.fetchJson<{ downloads: { server: { url: string } } }>(mojang.versions.find((v) => v.id === GAME)!.url);
  // PaperMC's v3 lists each build's jar URL (on fill-data.papermc.io, named by its sha256): taken from the listing, never built.
  const builds = await offline.fetchJson<{ id: number; downloads: { "server:default": { url: string } } }[]>(`https://fill.papermc.io/v3/projects/paper/versions/${GAME}/builds`);
  const paperUrl = builds.find((b) => b.id === 132)!.downloads["server:default"].url;
  const files = [await file(`cache/mojang_${GAME}.jar`, version.downloads.server.url, "server"), await file(PAPER_SERVER_JAR, paperUrl, "server")];
  return { schema: 2, type: "paper", launch: { jar: PAPER_SERVER_JAR }, game: GAME, loader: "132", installer: "", mods: [], files };
}

/**
 * A Quilt manifest over the offline mirror: loader 0.26.4 of 1.21.1, every
 * library of its server profile, quilt-server-launch.jar built with the same
 * pure function as the control plane's resolver, Mojang's jar at server.jar,
 * and chosen mods.
 */
export async function fixtureQuiltManifest(mods: { slug: string; projectId: string; versionId: string; version: string }[] = []): Promise<Manifest> {
  const loader = "0.26.4";
  const profile = await offline.fetchJson<QuiltServerJson>(`https://meta.quiltmc.org/v3/versions/loader/${GAME}/${loader}/server/json`);
  const libraries = await Promise.all(profile.libraries!.map(async (l) => ({ path: quiltLibraryPath(l.name), ...(await pinned(quiltLibraryUrl(l))) })));
  const quilt = quiltInstallFiles({ mainClass: profile.launcherMainClass!, libraries: libraries.map(({ bytes: _bytes, ...l }) => l) });
  const mojang = await offline.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await offline.fetchJson<{ downloads: { server: { url: string } } }>(mojang.versions.find((v) => v.id === GAME)!.url);
  const files = [
    ...quilt,
    await file(QUILT_SERVER_JAR, version.downloads.server.url, "server"),
    ...(await Promise.all(mods.map((m) => file(`mods/${m.slug}-${m.version}.jar`, `https://cdn.modrinth.com/data/${m.projectId}/versions/${m.versionId}/${encodeURIComponent(`${m.slug}-${m.version}.jar`)}`, "mod")))),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    schema: 2,
    type: "quilt",
    launch: { jar: QUILT_LAUNCHER_JAR },
    game: GAME,
    loader,
    installer: "",
    mods: mods.map((m) => ({ projectId: m.projectId, versionId: m.versionId, versionNumber: m.version, reason: "requested" as const })),
    files,
  };
}
