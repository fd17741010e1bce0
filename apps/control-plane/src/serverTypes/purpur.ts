import { ArtifactNotFoundError, PURPUR_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PURPUR_API } from "../fabric/urls";
import { newestListed, paperclipFiles, pinnedBuildOf, refuseMods } from "./paperclip";
import type { TypeResolver } from "./serverType";

/** `/v2/purpur/<game>` as papyrus answers it (VersionController.VersionResponse): `latest` is null when no build succeeded. */
interface PurpurVersion {
  builds?: { latest?: string | null; all?: string[] };
}
/** `/v2/purpur/<game>/<build>` as papyrus answers it (BuildController.BuildResponse), the fields resolution reads. */
interface PurpurBuild {
  build: string;
  /** papyrus's is SUCCESS or FAILURE; a hostile answer's anything (only ever compared, or `shown`). */
  result: unknown;
  md5: string | null;
}

/** A build name papyrus stores as any string; Purpur's are numbers, and it goes into a URL path. */
const BUILD_NAME = /^\d{1,9}$/;
/** papyrus's md5: Spring's DigestUtils.md5DigestAsHex of the uploaded jar, 32 lowercase hex digits. */
const MD5 = /^[0-9a-f]{32}$/;

/**
 * Purpur (api.purpurmc.org/v2/purpur, served by PurpurMC/papyrus; what it
 * answers is read from its source: fixtures/upstream-samples/README.md):
 *  - `/<game>` lists the version's builds (`builds.all`, failed ones too, in
 *    timestamp order) and `builds.latest`, papyrus's newest successful build
 *    with a jar (null when none); a 404 is a game Purpur does not build, a
 *    permanent refusal;
 *  - `/<game>/<build>` says its `result` (SUCCESS or FAILURE) and its jar's
 *    `md5` (null when it has no jar): the build the caller pinned
 *    (`loaderVersion`) must be listed, have succeeded and have a jar, else
 *    `latest` is pinned, by number and by that md5, checked on the one download;
 *  - its jar is a Paperclip, so Mojang's jar goes where it looks (paperclipFiles).
 * Purpur takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePurpur: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseMods("purpur", request);
  const chosen = await pinnedBuildOf(() => choosePurpurBuild(source, game, request.loaderVersion ?? null));
  const url = `${PURPUR_API}/${encodeURIComponent(game)}/${chosen.build}/download`;
  const jar = await fetchPinned(db, source, url, { hash: { algorithm: "md5", hex: chosen.md5, by: "Purpur" } });
  const files = await paperclipFiles(input, { path: PURPUR_SERVER_JAR, url, ...jar }, `Purpur build ${chosen.build}`);
  return { loader: chosen.build, installer: "", mods: [], files, launch: { jar: PURPUR_SERVER_JAR } };
};

/**
 * The Purpur build to resolve for `game`, with its md5: `pinned` when given,
 * which must be listed, have succeeded and have a jar (else
 * UnknownBuildError), or the one papyrus names `latest` (else ResolutionError).
 */
export async function choosePurpurBuild(source: ArtifactSource, game: string, pinned: string | null): Promise<PurpurBuild & { md5: string }> {
  const version = (await purpurJson<PurpurVersion | null>(source, `${PURPUR_API}/${encodeURIComponent(game)}`, `Purpur does not build Minecraft ${game}`)) ?? {};
  const listed = (Array.isArray(version.builds?.all) ? version.builds.all : []).filter((b) => typeof b === "string" && BUILD_NAME.test(b));
  if (pinned !== null) {
    if (!listed.includes(pinned)) throw new UnknownBuildError(`Purpur has no build ${pinned} of Minecraft ${game}; ${newestListed(listed.map(Number))}.`);
    const info = await purpurBuild(source, game, pinned);
    if (info.result !== "SUCCESS") throw new UnknownBuildError(`Purpur build ${pinned} of Minecraft ${game} did not succeed (its result: ${shown(info.result, 32, true)}), so it has no jar.`);
    if (info.md5 === null) throw new UnknownBuildError(`Purpur build ${pinned} of Minecraft ${game} succeeded but has no jar (Purpur publishes no md5 for it).`);
    return { ...info, md5: info.md5 };
  }
  const latest = version.builds?.latest;
  if (latest === null || latest === undefined) throw new ResolutionError(`Purpur has no successful build of Minecraft ${game}.`);
  if (typeof latest !== "string" || !listed.includes(latest)) throw new ResolutionError(`Purpur names ${shown(latest, 40)} the latest build of Minecraft ${game}, which it does not list.`);
  const info = await purpurBuild(source, game, latest);
  if (info.result !== "SUCCESS" || info.md5 === null) throw new ResolutionError(`Purpur names build ${latest} the latest of Minecraft ${game}, but it has no jar (its result: ${shown(info.result, 32, true)}).`);
  return { ...info, md5: info.md5 };
}

/** A listed build's answer, its md5 checked for shape (hostile input, compared and shown in messages). */
async function purpurBuild(source: ArtifactSource, game: string, build: string): Promise<PurpurBuild> {
  const info = (await purpurJson<Partial<PurpurBuild> | null>(source, `${PURPUR_API}/${encodeURIComponent(game)}/${build}`, `Purpur lists build ${build} of Minecraft ${game} but does not have it`)) ?? {};
  if (info.build !== build) throw new ResolutionError(`Purpur answered for build ${build} of Minecraft ${game} with build ${shown(info.build ?? null, 40)}.`);
  const md5 = info.md5 ?? null;
  if (md5 !== null && (typeof md5 !== "string" || !MD5.test(md5))) throw new ResolutionError(`Purpur publishes ${shown(md5, 40)} as the md5 of build ${build} of Minecraft ${game}, which is not an md5.`);
  return { build, result: info.result, md5 };
}

async function purpurJson<T>(source: ArtifactSource, url: string, notFound: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`${notFound} (Purpur answered ${err.status}).`);
    throw err;
  }
}

/**
 * A value from papyrus's answer, for a message: a string with its control
 * characters (ESC too) shown as `?` and cut to `max` characters, quoted
 * unless `bare`; a number, boolean or null as JSON writes it; anything else
 * only named, never stringified (an array nested 20,000 deep would
 * overflow the stack and answer 500).
 */
function shown(value: unknown, max: number, bare = false): string {
  if (typeof value === "string") {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are never echoed.
    const clean = value.slice(0, max).replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
    return bare ? clean : JSON.stringify(clean);
  }
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  return Array.isArray(value) ? "a list, not a string" : `${typeof value === "object" ? "an object" : "a value"}, not a string`;
}
