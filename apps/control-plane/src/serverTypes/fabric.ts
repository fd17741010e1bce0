import {
  ArtifactNotFoundError,
  compareFabricVersions,
  FABRIC_LAUNCHER_JAR,
  FABRIC_MAVEN,
  fabricInstallFiles,
  fabricLibraries,
  fabricServerMainClass,
  loaderJarMainClass,
  mavenPath,
  MIN_UNATTENDED_LOADER,
  UNATTENDED_LOADER_REFUSAL,
  type ArtifactSource,
  type FabricLoaderEntry,
  type ManifestFile,
} from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { digestOf, fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { resolveMods } from "../fabric/modrinth";
import { FABRIC_META } from "../fabric/urls";
import type { TypeResolver } from "./serverType";

interface InstallerEntry {
  version: string;
  stable: boolean;
}

/** Unattended server installs need installer 0.8 or newer (fabric-meta ServerBootstrap). */
const MIN_SERVER_INSTALLER = "0.8";

export interface ResolvedLoader {
  loader: string;
  installer: string;
  files: ManifestFile[];
}

/**
 * The loader to install: the pinned one if meta lists it, else the one meta
 * marks `stable` (exactly one: the newest stable build). The list is the same
 * for every game, so a pin is either a known loader or no loader at all.
 */
export function chooseLoader<E extends { loader: { version: string; stable: boolean } }>(entries: E[], pinned?: string): E {
  if (pinned) refuseIfTooOld(pinned);
  const entry = pinned ? entries.find((e) => e.loader.version === pinned) : entries.find((e) => e.loader.stable);
  if (!entry) throw new ResolutionError(pinned ? `Fabric has no loader ${pinned}.` : "Fabric meta lists no stable loader.");
  return entry;
}

function refuseIfTooOld(loader: string): void {
  if (compareFabricVersions(loader, MIN_UNATTENDED_LOADER) < 0) {
    throw new ResolutionError(`Fabric loader ${loader} cannot run a server unattended: ${UNATTENDED_LOADER_REFUSAL}`);
  }
}

/**
 * The Fabric side of a manifest, following Fabric meta's real rules
 * (FabricMC fabric-installer and fabric-meta source):
 *  - meta answers 400 for a game it does not know: a permanent refusal;
 *  - the loader list is the same for every game and exactly one loader is
 *    `stable` (the newest stable build): the default; a pinned loader must
 *    be listed and be 0.12 or newer (older ones cannot install unattended);
 *  - the newest stable installer, 0.8 or newer.
 * Then every file of a complete install (fabricInstallFiles): the libraries,
 * and the launcher and launch jar built reproducibly from the loader jar's
 * manifest and the installer's Maven jar. The vanilla jar comes from mojang.ts.
 */
export async function resolveFabric(db: Db, source: ArtifactSource, game: string, loaderVersion?: string): Promise<ResolvedLoader> {
  if (loaderVersion) refuseIfTooOld(loaderVersion); // before asking meta anything
  let entries: FabricLoaderEntry[];
  try {
    entries = await source.fetchJson<FabricLoaderEntry[]>(`${FABRIC_META}/versions/loader/${game}`);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Fabric does not support Minecraft ${game} (Fabric meta answered ${err.status}).`);
    throw err;
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new ResolutionError(`Fabric does not support Minecraft ${game}.`);
  const entry = chooseLoader(entries, loaderVersion);
  const loader = entry.loader.version;
  const launchMainClass = fabricServerMainClass(entry);
  if (!launchMainClass) throw new ResolutionError(`Fabric meta names no server main class for loader ${loader}.`);

  const installers = await source.fetchJson<InstallerEntry[]>(`${FABRIC_META}/versions/installer`);
  const installer = installers.find((i) => i.stable && compareFabricVersions(i.version, MIN_SERVER_INSTALLER) >= 0)?.version;
  if (!installer) throw new ResolutionError("Fabric lists no stable installer that can install a server unattended.");

  const libraries = [];
  for (const lib of fabricLibraries(entry)) libraries.push({ ...lib, ...(await digestOf(db, source, lib.url, { sha1: lib.sha1, size: lib.size })) });
  const loaderJar = await fetchPinned(db, source, `${FABRIC_MAVEN}${mavenPath(entry.loader.maven)}`);
  const installerUrl = `${FABRIC_MAVEN}${mavenPath(`net.fabricmc:fabric-installer:${installer}:server`)}`;
  const installerJar = await fetchPinned(db, source, installerUrl);
  try {
    const files = fabricInstallFiles({
      game,
      loader,
      libraries,
      mainClass: loaderJarMainClass(loaderJar.bytes),
      launchMainClass,
      installer: { url: installerUrl, ...installerJar.digest, bytes: installerJar.bytes },
    });
    return { loader, installer, files };
  } catch (err) {
    throw new ResolutionError(`the Fabric loader or installer jar is not a readable jar: ${(err as Error).message}`);
  }
}

/** The Fabric type: loader and launcher (above), the Mojang jar where the launcher looks for it, and Modrinth's Fabric mods. */
export const resolveFabricType: TypeResolver = async ({ db, source, request, mojangServer }) => {
  const fabric = await resolveFabric(db, source, request.minecraftVersion, request.loaderVersion ?? undefined);
  const vanilla = await mojangServer();
  const mods = await resolveMods(source, request.minecraftVersion, request.mods);
  return { loader: fabric.loader, installer: fabric.installer, mods: mods.mods, files: [...fabric.files, vanilla, ...mods.files], launch: { jar: FABRIC_LAUNCHER_JAR } };
};
