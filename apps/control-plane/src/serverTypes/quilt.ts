import {
  ArtifactNotFoundError,
  QUILT_LAUNCHER_JAR,
  QUILT_SERVER_JAR,
  quiltInstallFiles,
  quiltLibraryPath,
  quiltLibraryUrl,
  type ArtifactSource,
  type QuiltServerJson,
} from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { digestOf, fetchBounded, HASH_FILE_MAX_BYTES } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { QUILT_MODS, resolveMods } from "../fabric/modrinth";
import { upstreamUrlOn } from "../fabric/upstreamHosts";
import { QUILT_META } from "../fabric/urls";
import type { TypeResolver } from "./serverType";

/** Where Quilt meta's server profiles put their libraries: Quilt's Maven, and Fabric's for the intermediary mappings it shares. */
const QUILT_LIBRARY_HOSTS = ["maven.quiltmc.org", "maven.fabricmc.net"];

/** One entry of Quilt meta's `/v3/versions/loader/<game>` (update-quilt-meta Main.populateLoaderVersions): no `stable` flag. */
interface QuiltLoaderEntry {
  loader: { version: string; maven: string };
}

/**
 * The loader to install, chosen as quilt-installer's MinecraftInstallation
 * does: a pinned one must be listed; otherwise the first (newest) whose
 * version has no `-` (betas are `0.27.0-beta.1`). Quilt meta marks nothing
 * stable, so this is the installer's rule, not a flag.
 */
export function chooseQuiltLoader(entries: QuiltLoaderEntry[], pinned?: string): string {
  if (pinned) {
    if (!entries.some((e) => e.loader?.version === pinned)) throw new ResolutionError(`Quilt has no loader ${pinned} (Specified loader version ${pinned} was not found).`);
    return pinned;
  }
  const stable = entries.find((e) => typeof e.loader?.version === "string" && !e.loader.version.includes("-"));
  if (!stable) throw new ResolutionError("Quilt meta lists no stable loader (every loader is a beta).");
  return stable.loader.version;
}

/**
 * The Quilt side of a manifest, as quilt-installer's InstallServer installs a
 * server (QuiltMC/quilt-installer and update-quilt-meta source):
 *  - meta's loaders for the game (a 404: a game Quilt does not know), the
 *    loader chosen by the installer's rule (chooseQuiltLoader);
 *  - the server launch profile (`.../<game>/<loader>/server/json`): its
 *    `launcherMainClass` and `libraries` ({ name, url }, no hashes: meta
 *    publishes none), each pinned by the sha1 its Maven repository publishes
 *    beside it (`<jar>.sha1`), checked on the one download, then by its
 *    recorded sha512 (no `.sha1` asked for again);
 *  - quilt-server-launch.jar built from them as the installer writes it.
 * Mojang's jar goes to `server.jar`, where QuiltServerLauncher looks.
 */
export async function resolveQuilt(db: Db, source: ArtifactSource, game: string, loaderVersion?: string) {
  const entries = await quiltJson<QuiltLoaderEntry[]>(source, `${QUILT_META}/versions/loader/${encodeURIComponent(game)}`, game);
  if (!Array.isArray(entries) || entries.length === 0) throw new ResolutionError(`Quilt does not support Minecraft ${game}.`);
  const loader = chooseQuiltLoader(entries, loaderVersion);
  const profile = await quiltJson<QuiltServerJson>(source, `${QUILT_META}/versions/loader/${encodeURIComponent(game)}/${encodeURIComponent(loader)}/server/json`, game);
  // The installer's own refusals of a profile it cannot install (InstallServer.run).
  const mainClass = profile.launcherMainClass;
  if (typeof mainClass !== "string" || !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(mainClass)) throw new ResolutionError(`Quilt loader ${loader}: launcherMainClass in server launch json was not present.`);
  if (!Array.isArray(profile.libraries) || profile.libraries.length === 0) throw new ResolutionError(`Quilt loader ${loader}: No libraries were specified!`);

  const libraries = [];
  const seen = new Set<string>();
  for (const lib of profile.libraries) {
    const { path, url } = quiltLibrary(loader, lib);
    if (seen.has(path)) continue;
    seen.add(path);
    // Maven's .sha1 is asked for only on the first download: a recorded digest is the pin from then on.
    libraries.push({ path, url, ...(await digestOf(db, source, url, async () => ({ sha1: await mavenSha1(source, url) }))) });
  }
  return { loader, files: quiltInstallFiles({ mainClass, libraries }) };
}

/**
 * Where a library meta's server profile lists goes, and where it is fetched
 * from, or the refusal of one the control plane must not fetch or place.
 */
export function quiltLibrary(loader: string, lib: NonNullable<QuiltServerJson["libraries"]>[number]): { path: string; url: string } {
  if (typeof lib?.name !== "string" || typeof lib.url !== "string" || !/^https:\/\/[^\s]+\/$/.test(lib.url)) throw new ResolutionError(`Quilt loader ${loader} lists an unusable library ${JSON.stringify(lib)}.`);
  // Meta's answer decides what the control plane fetches: only from the Mavens Quilt's libraries live on, never an
  // address a tampered or mistaken answer names (an internal service, say).
  if (upstreamUrlOn(lib.url, QUILT_LIBRARY_HOSTS) === null) throw new ResolutionError(`Quilt loader ${loader} lists library ${lib.name} on ${new URL(lib.url).host}, which is not one of Quilt's Mavens (${QUILT_LIBRARY_HOSTS.join(", ")}).`);
  let path: string;
  try {
    path = quiltLibraryPath(lib.name);
  } catch (err) {
    throw new ResolutionError(`Quilt loader ${loader}: ${(err as Error).message}`);
  }
  // Upstream's bytes become a path and a Class-Path entry: plain segments only (no `..`, no blank that would split the Class-Path).
  if (!path.split("/").every((part) => /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$/.test(part))) throw new ResolutionError(`Quilt loader ${loader} lists an unusable library ${JSON.stringify(lib.name)}.`);
  return { path, url: quiltLibraryUrl(lib) };
}

/** The sha1 a Maven repository publishes beside a file (`<url>.sha1`: the hex digest, sometimes followed by the file name). */
async function mavenSha1(source: ArtifactSource, url: string): Promise<string> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fetchBounded(source, `${url}.sha1`, HASH_FILE_MAX_BYTES));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`upstream publishes no sha1 for ${url} (${url}.sha1 answered ${err.status}); refused unpinned`);
    throw err;
  }
  const sha1 = /^\s*([0-9a-fA-F]{40})(\s|$)/.exec(text)?.[1];
  if (!sha1) throw new ResolutionError(`${url}.sha1 is not a sha1 digest; refused unpinned`);
  return sha1.toLowerCase();
}

async function quiltJson<T>(source: ArtifactSource, url: string, game: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Quilt does not support Minecraft ${game} (Quilt meta answered ${err.status}).`);
    throw err;
  }
}

/** The Quilt type: loader and launch jar (above), Mojang's jar at server.jar, and Modrinth's Quilt and Fabric mods. */
export const resolveQuiltType: TypeResolver = async ({ db, source, request, mojangServer }) => {
  const quilt = await resolveQuilt(db, source, request.minecraftVersion, request.loaderVersion ?? undefined);
  const vanilla = { ...(await mojangServer()), path: QUILT_SERVER_JAR };
  const mods = await resolveMods(source, request.minecraftVersion, request.mods, QUILT_MODS);
  return { loader: quilt.loader, installer: "", mods: mods.mods, files: [...quilt.files, vanilla, ...mods.files], launch: { jar: QUILT_LAUNCHER_JAR } };
};
