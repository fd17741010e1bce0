import { vanillaServerJarPath, type ArtifactSource, type DownloadedFile } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { digestOf } from "./digest";
import { ResolutionError } from "./errors";
import { MOJANG_VERSION_MANIFEST } from "./urls";

interface VersionManifest {
  versions: { id: string; type: string; url: string; sha1: string }[];
}
/** A download as Mojang's version JSON publishes it. */
export interface MojangDownload {
  sha1: string;
  size: number;
  url: string;
}
interface VersionJson {
  /** `server_mappings`: Mojang's obfuscation map of the server (ProGuard's format), published from 1.14.4 on. */
  downloads: { server?: MojangDownload; server_mappings?: MojangDownload };
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

/**
 * The vanilla server jar, the Java feature release the game names
 * (`javaVersion.majorVersion`) and where Mojang publishes the server's
 * mappings (null before 1.14.4; fetched only by a type that needs them: NeoForge's installer).
 */
export async function resolveGame(db: Db, source: ArtifactSource, game: string): Promise<{ server: DownloadedFile; javaMajor: number; serverMappings: MojangDownload | null }> {
  const manifest = await source.fetchJson<VersionManifest>(MOJANG_VERSION_MANIFEST);
  const version = manifest.versions.find((v) => v.id === game);
  if (!version) throw new ResolutionError(`Mojang lists no Minecraft version ${game}.`);
  const json = await source.fetchJson<VersionJson>(version.url);
  const server = json.downloads.server;
  if (!server) throw new ResolutionError(`Minecraft ${game} has no server download.`);
  const javaMajor = json.javaVersion?.majorVersion;
  if (!Number.isInteger(javaMajor) || javaMajor! < 8 || javaMajor! > 999) throw new ResolutionError(`Minecraft ${game}'s version JSON names no Java version (javaVersion.majorVersion).`);
  const d = await digestOf(db, source, server.url, { sha1: server.sha1, size: server.size });
  return { server: { path: vanillaServerJarPath(game), url: server.url, kind: "server", size: d.size, sha512: d.sha512, sha1: d.sha1 }, javaMajor: javaMajor!, serverMappings: mojangDownload(json.downloads.server_mappings) };
}

/** A download entry as published, or null where it is absent or not one (a hostile or broken JSON is not passed on as a URL to fetch). */
function mojangDownload(d: MojangDownload | undefined): MojangDownload | null {
  if (!d || typeof d.url !== "string" || !d.url.startsWith("https://") || typeof d.sha1 !== "string" || !/^[0-9a-f]{40}$/.test(d.sha1) || !Number.isSafeInteger(d.size) || d.size < 0) return null;
  return { url: d.url, sha1: d.sha1, size: d.size };
}
