import type { ArtifactSource, ManifestFile, ManifestModpack } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { ZlhError } from "@zlh/domain";
import { ResolutionError } from "../fabric/errors";
import { packBytes } from "./inspectModpack";
import { checkedContents, contentsOf } from "./packContents";
import { packManifestFiles } from "./packFiles";

/**
 * The files a server's pinned modpack adds to its manifest, from what the
 * pack places as read when it was chosen (modpack_contents: neither the
 * pack's download nor its inflate is repeated; a pack whose record is gone
 * is read again from its pinned bytes). The game and loader the pack names
 * must be the ones the server's settings took from it.
 */
export async function resolvePackFiles(db: Db, source: ArtifactSource, pin: ManifestModpack, game: string, loaderVersion: string | null): Promise<ManifestFile[]> {
  try {
    const pack = checkedContents(await contentsOf(db, pin.sha512, () => packBytes({ db, source }, pin)));
    if (pack.game !== game || pack.loader.version !== loaderVersion) {
      throw new ResolutionError(`The pack needs Minecraft ${pack.game} with ${pack.loader.name} ${pack.loader.version}; the server asks for ${game} with ${loaderVersion ?? "the default loader"}.`);
    }
    return packManifestFiles(pin, pack);
  } catch (err) {
    if (err instanceof ZlhError) throw new ResolutionError(err.message);
    throw err;
  }
}
