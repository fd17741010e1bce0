import type { ArtifactSource, ManifestFile, ManifestModpack } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { ZlhError } from "@zlh/domain";
import { ResolutionError } from "../fabric/errors";
import { checkedPack, packBytes } from "./inspectModpack";
import { packManifestFiles } from "./packFiles";

/**
 * The files a server's pinned modpack adds to its manifest, read again from
 * the pinned bytes (the same pack always gives the same files). The game
 * and loader the pack names must be the ones the server's settings took
 * from it; a pack that no longer reads (it was checked when it was chosen)
 * cannot resolve.
 */
export async function resolvePackFiles(db: Db, source: ArtifactSource, pin: ManifestModpack, game: string, loaderVersion: string | null): Promise<ManifestFile[]> {
  const bytes = await packBytes({ db, source }, pin);
  try {
    const pack = checkedPack(bytes);
    if (pack.game !== game || pack.loader.version !== loaderVersion) {
      throw new ResolutionError(`The pack needs Minecraft ${pack.game} with ${pack.loader.name} ${pack.loader.version}; the server asks for ${game} with ${loaderVersion ?? "the default loader"}.`);
    }
    return packManifestFiles(pin, pack, bytes);
  } catch (err) {
    if (err instanceof ZlhError) throw new ResolutionError(err.message);
    throw err;
  }
}
