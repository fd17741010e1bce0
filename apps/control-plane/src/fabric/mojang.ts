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
}

/**
 * The vanilla server jar, checked against the sha1 and size Mojang publishes,
 * placed where the Fabric launcher looks for it so a first boot needs no network.
 */
export async function resolveVanillaServer(db: Db, source: ArtifactSource, game: string): Promise<DownloadedFile> {
  const manifest = await source.fetchJson<VersionManifest>(MOJANG_VERSION_MANIFEST);
  const version = manifest.versions.find((v) => v.id === game);
  if (!version) throw new ResolutionError(`Mojang lists no Minecraft version ${game}.`);
  const json = await source.fetchJson<VersionJson>(version.url);
  const server = json.downloads.server;
  if (!server) throw new ResolutionError(`Minecraft ${game} has no server download.`);
  const d = await digestOf(db, source, server.url, { sha1: server.sha1, size: server.size });
  return { path: vanillaServerJarPath(game), url: server.url, kind: "server", size: d.size, sha512: d.sha512, sha1: d.sha1 };
}
