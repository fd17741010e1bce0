import { vanillaServerJarPath, type ArtifactSource, type DownloadedFile } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { digestOf } from "./digest";
import { ResolutionError } from "./errors";
import { MOJANG_VERSION_MANIFEST } from "./urls";

interface VersionManifest {
  versions: { id: string; type: string; url: string; sha1: string }[];
}
interface VersionJson {
  downloads: { server?: { sha1: string; size: number; url: string } };
  /** The Java the game needs (launchers take the first runtime whose major is at least this). */
  javaVersion?: { component: string; majorVersion: number };
}

/**
 * The vanilla server jar, checked against the sha1 and size Mojang publishes,
 * placed where the Fabric launcher looks for it so a first boot needs no network.
 */
export async function resolveVanillaServer(db: Db, source: ArtifactSource, game: string): Promise<DownloadedFile> {
  return (await resolveGame(db, source, game)).server;
}

/** The vanilla server jar and the Java feature release the game names (`javaVersion.majorVersion`). */
export async function resolveGame(db: Db, source: ArtifactSource, game: string): Promise<{ server: DownloadedFile; javaMajor: number }> {
  const manifest = await source.fetchJson<VersionManifest>(MOJANG_VERSION_MANIFEST);
  const version = manifest.versions.find((v) => v.id === game);
  if (!version) throw new ResolutionError(`Mojang lists no Minecraft version ${game}.`);
  const json = await source.fetchJson<VersionJson>(version.url);
  const server = json.downloads.server;
  if (!server) throw new ResolutionError(`Minecraft ${game} has no server download.`);
  const javaMajor = json.javaVersion?.majorVersion;
  if (!Number.isInteger(javaMajor) || javaMajor! < 8 || javaMajor! > 999) throw new ResolutionError(`Minecraft ${game}'s version JSON names no Java version (javaVersion.majorVersion).`);
  const d = await digestOf(db, source, server.url, { sha1: server.sha1, size: server.size });
  return { server: { path: vanillaServerJarPath(game), url: server.url, kind: "server", size: d.size, sha512: d.sha512, sha1: d.sha1 }, javaMajor: javaMajor! };
}
