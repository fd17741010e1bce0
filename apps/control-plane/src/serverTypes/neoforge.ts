import { ArtifactNotFoundError, chooseNeoforge, installerFileUrl, metadataVersions, neoforgeArgFiles, NeoforgeVersionError, type ManifestFile } from "@zlh/artifacts";
import { renewNeoforgeInstall } from "@zlh/db";
import { fetchBounded } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { NEOFORGE_MODS, resolveMods } from "../fabric/modrinth";
import { NEOFORGE_MAVEN, neoforgeInstall, type InstalledFile, type NeoforgeInstall } from "../neoforge/install";
import type { TypeInput, TypeResolver } from "./serverType";

export const NEOFORGE_METADATA_URL = `${NEOFORGE_MAVEN}net/neoforged/neoforge/maven-metadata.xml`;
/** NeoForge's listing (every build it ever published) is kilobytes: a source sending more than this is cut off there. */
export const METADATA_MAX_BYTES = 4 * 1024 * 1024;

/**
 * NeoForge (maven.neoforged.net, neoforged/LegacyInstaller):
 *  - the build from maven-metadata.xml by NeoForge's versioning (`21.1.x`
 *    is Minecraft 1.21.1): the newest non-beta one for the game, or the
 *    pinned `loaderVersion` (a beta only when pinned);
 *  - its installer run once per (game, build) in a sandbox with no network,
 *    every library, Mojang's jar and (where its profile's DOWNLOAD_MOJMAPS
 *    step needs them) Mojang's server mappings pre-placed, with ZLH_NEOFORGE_JAVA once
 *    it is known to be at least the game's Java, and every file it left
 *    pinned (neoforge/install.ts): upstream's keep their url, the ones it
 *    made are served by the control plane (`installed`, zlh:neoforge/<sha512>);
 *  - started from the args files it wrote (`launch.argFiles`);
 *  - Modrinth mods for the `neoforge` loader.
 */
export const resolveNeoforge: TypeResolver = async ({ db, source, request, mojangServer, mojangServerMappings, javaMajor, settings }) => {
  const game = request.minecraftVersion;
  let listed: string[];
  try {
    listed = metadataVersions(new TextDecoder().decode(await fetchBounded(source, NEOFORGE_METADATA_URL, METADATA_MAX_BYTES)));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`NeoForge's Maven has no version listing (it answered ${err.status}).`);
    if (err instanceof NeoforgeVersionError) throw new ResolutionError(err.message);
    throw err;
  }
  let version: string;
  try {
    version = chooseNeoforge(listed, game, request.loaderVersion ?? undefined).version;
  } catch (err) {
    if (err instanceof NeoforgeVersionError) throw new ResolutionError(err.message);
    throw err;
  }
  const mojang = await mojangServer();
  // Null for a game Mojang publishes none for (26.1 on, unobfuscated): the install refuses only a profile whose DOWNLOAD_MOJMAPS step needs them.
  const mappings = await mojangServerMappings();
  const install = await pinnedInstall(db, source, { game, version, mojang, mappings, javaMajor: await javaMajor(), java: settings.neoforgeJava, memoryBytes: settings.neoforgeInstallerMemoryBytes });
  const files: ManifestFile[] = install.files.map((f) =>
    f.url
      ? { path: f.path, url: f.url, size: f.size, sha512: f.sha512, sha1: f.sha1, kind: f.url === mojang.url ? "server" : "library" }
      : { path: f.path, url: installerFileUrl(f.sha512), size: f.size, sha512: f.sha512, sha1: f.sha1, kind: "installed" },
  );
  const mods = await resolveMods(source, game, request.mods, NEOFORGE_MODS);
  return { loader: version, installer: version, mods: mods.mods, files: [...files, ...mods.files], launch: { argFiles: neoforgeArgFiles(version) } };
};

/** Installs swept between being read and renewed that a resolution makes again before it gives up (the job retries). */
const SWEPT_RETRIES = 3;

/**
 * The install, renewed as used now (renewNeoforgeInstall) so the retention
 * sweep keeps it while this resolution's manifest is stored, with the
 * files the renewed row lists: an install the sweep removed after it was
 * read is made again, never pinned.
 */
async function pinnedInstall(db: TypeInput["db"], source: TypeInput["source"], opts: Parameters<typeof neoforgeInstall>[2]): Promise<NeoforgeInstall> {
  for (let attempt = 1; ; attempt++) {
    await neoforgeInstall(db, source, opts);
    const renewed = await renewNeoforgeInstall<InstalledFile>(db, opts.game, opts.version);
    if (renewed) return { game: opts.game, version: opts.version, ...renewed };
    if (attempt >= SWEPT_RETRIES) throw new Error(`the NeoForge ${opts.version} install was removed by the retention sweep as it was pinned, ${attempt} times; the job retries`);
  }
}
