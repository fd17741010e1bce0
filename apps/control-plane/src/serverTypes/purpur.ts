import { createHash } from "node:crypto";
import { ArtifactNotFoundError, PURPUR_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PURPUR_API } from "../fabric/urls";
import { newestListed, paperclipFiles, pinnedBuildOf, refuseMods } from "./paperclip";
import type { TypeResolver } from "./serverType";

interface PurpurVersion {
  builds: { latest: string; all: string[] };
}
interface PurpurBuild {
  build: string;
  result: string;
  md5?: string;
}

/** How many builds, newest first, are asked for their result before giving up: failures come in short runs. */
const BUILDS_TRIED = 10;

/**
 * Purpur (api.purpurmc.org/v2/purpur, a Paper fork):
 *  - `/<game>` lists the version's builds (`builds.all`); a 404 is a game
 *    Purpur does not build, a permanent refusal;
 *  - each build says its `result`: the build the caller pinned
 *    (`loaderVersion`) must be listed and have succeeded, else the newest
 *    SUCCESS is pinned (failed builds are listed too, and have no jar), by
 *    number and by the md5 the API publishes, checked on the one download;
 *  - its jar is a Paperclip, so Mojang's jar goes where it looks (paperclipFiles).
 * Purpur takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePurpur: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseMods("purpur", request);
  const chosen = await pinnedBuildOf(() => choosePurpurBuild(source, game, request.loaderVersion ?? null));
  const url = `${PURPUR_API}/${encodeURIComponent(game)}/${chosen.build}/download`;
  const jar = await fetchPinned(db, source, url);
  const md5 = createHash("md5").update(jar.bytes).digest("hex");
  if (md5 !== chosen.md5!.toLowerCase()) throw new ResolutionError(`hash mismatch for ${url}: Purpur publishes md5 ${chosen.md5}, the file has ${md5}`);
  const files = await paperclipFiles(input, { path: PURPUR_SERVER_JAR, url, ...jar }, `Purpur build ${chosen.build}`);
  return { loader: chosen.build, installer: "", mods: [], files, launch: { jar: PURPUR_SERVER_JAR } };
};

/**
 * The Purpur build to resolve for `game`: `pinned` when given, which must be
 * listed and have succeeded (else UnknownBuildError), or the newest
 * successful one among the newest BUILDS_TRIED (else ResolutionError).
 */
export async function choosePurpurBuild(source: ArtifactSource, game: string, pinned: string | null): Promise<PurpurBuild> {
  const version = await purpurJson<PurpurVersion>(source, `${PURPUR_API}/${encodeURIComponent(game)}`, game);
  const newestFirst = [...(version.builds?.all ?? [])].filter((b) => /^\d{1,9}$/.test(b)).sort((a, b) => Number(b) - Number(a));
  if (pinned !== null) {
    if (!newestFirst.includes(pinned)) throw new UnknownBuildError(`Purpur has no build ${pinned} of Minecraft ${game}; ${newestListed(newestFirst.map(Number))}.`);
    const info = await purpurJson<PurpurBuild>(source, `${PURPUR_API}/${encodeURIComponent(game)}/${pinned}`, game);
    if (info.result !== "SUCCESS" || !info.md5) throw new UnknownBuildError(`Purpur build ${pinned} of Minecraft ${game} did not succeed (its result: ${String(info.result).slice(0, 32)}), so it has no jar.`);
    return { ...info, build: pinned };
  }
  for (const build of newestFirst.slice(0, BUILDS_TRIED)) {
    const info = await purpurJson<PurpurBuild>(source, `${PURPUR_API}/${encodeURIComponent(game)}/${build}`, game);
    if (info.result === "SUCCESS" && info.md5) return { ...info, build };
  }
  throw new ResolutionError(`Purpur has no successful build of Minecraft ${game} among its newest ${BUILDS_TRIED}.`);
}

async function purpurJson<T>(source: ArtifactSource, url: string, game: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Purpur does not build Minecraft ${game} (Purpur answered ${err.status}).`);
    throw err;
  }
}
