import { createHash } from "node:crypto";
import { ArtifactNotFoundError, PURPUR_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PURPUR_API } from "../fabric/urls";
import { paperclipFiles, refuseModsAndLoader } from "./paperclip";
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
 *  - each build says its `result`: the newest SUCCESS is pinned (failed
 *    builds are listed too, and have no jar), by number and by the md5 the
 *    API publishes, checked on the one download;
 *  - its jar is a Paperclip, so Mojang's jar goes where it looks (paperclipFiles).
 * Purpur takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePurpur: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseModsAndLoader("purpur", request);
  const version = await purpurJson<PurpurVersion>(source, `${PURPUR_API}/${encodeURIComponent(game)}`, game);
  const newestFirst = [...(version.builds?.all ?? [])].filter((b) => /^\d{1,9}$/.test(b)).sort((a, b) => Number(b) - Number(a));
  let chosen: PurpurBuild | undefined;
  for (const build of newestFirst.slice(0, BUILDS_TRIED)) {
    const info = await purpurJson<PurpurBuild>(source, `${PURPUR_API}/${encodeURIComponent(game)}/${build}`, game);
    if (info.result === "SUCCESS" && info.md5) {
      chosen = { ...info, build };
      break;
    }
  }
  if (!chosen) throw new ResolutionError(`Purpur has no successful build of Minecraft ${game} among its newest ${BUILDS_TRIED}.`);
  const url = `${PURPUR_API}/${encodeURIComponent(game)}/${chosen.build}/download`;
  const jar = await fetchPinned(db, source, url);
  const md5 = createHash("md5").update(jar.bytes).digest("hex");
  if (md5 !== chosen.md5!.toLowerCase()) throw new ResolutionError(`hash mismatch for ${url}: Purpur publishes md5 ${chosen.md5}, the file has ${md5}`);
  const files = await paperclipFiles(input, { path: PURPUR_SERVER_JAR, url, ...jar }, `Purpur build ${chosen.build}`);
  return { loader: chosen.build, installer: "", mods: [], files, launch: { jar: PURPUR_SERVER_JAR } };
};

async function purpurJson<T>(source: ArtifactSource, url: string, game: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Purpur does not build Minecraft ${game} (Purpur answered ${err.status}).`);
    throw err;
  }
}
