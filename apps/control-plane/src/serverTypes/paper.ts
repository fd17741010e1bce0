import { PAPER_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { newestListed, pinnedBuildOf, paperclipFiles, refuseMods } from "./paperclip";
import { paperBuildsOf, STABLE_CHANNELS, type PaperBuild } from "./paperFill";
import type { TypeResolver } from "./serverType";

/** A build chosen to resolve: one with a server download. */
type ChosenBuild = PaperBuild & { server: NonNullable<PaperBuild["server"]> };

/**
 * Paper (PaperMC's downloads API v3, "Fill": docs.papermc.io/misc/downloads-service):
 *  - a version's builds (paperBuildsOf); a 404 is a game Paper does not build;
 *  - the build the caller pinned (`loaderVersion`, any channel: the caller
 *    chose it), else the newest build of a stable channel (ALPHA and BETA
 *    builds are never chosen for them), pinned by its id (the manifest's
 *    `loader`) and its jar (`downloads["server:default"]`: the URL v3 gives,
 *    on fill-data.papermc.io, which PaperMC asks clients not to construct)
 *    by the sha256 v3 publishes. v3's `size` is not checked apart: a
 *    matching sha256 fixes it;
 *  - that jar is Paperclip, which downloads Mojang's jar at first start
 *    unless it finds it: paperclipFiles places it where it looks.
 * Paper takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePaper: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseMods("paper", request);
  const chosen = await pinnedBuildOf(() => choosePaperBuild(source, game, request.loaderVersion ?? null));
  const { sha256, url } = chosen.server;
  const paper = await fetchPinned(db, source, url, { hash: { algorithm: "sha256", hex: sha256, by: "PaperMC" } });
  const files = await paperclipFiles(input, { path: PAPER_SERVER_JAR, url, ...paper }, `Paper build ${chosen.id}`);
  return { loader: String(chosen.id), installer: "", mods: [], files, launch: { jar: PAPER_SERVER_JAR } };
};

/**
 * The Paper build to resolve for `game`: `pinned` (a build id as v3 takes
 * it) when given, which must be listed with a server download (else
 * UnknownBuildError), or the newest stable one (else ResolutionError).
 */
export async function choosePaperBuild(source: ArtifactSource, game: string, pinned: string | null): Promise<ChosenBuild> {
  const builds = await paperBuildsOf(source, game);
  const usable = builds.filter((b): b is ChosenBuild => b.server !== null);
  if (pinned !== null) {
    const found = usable.find((b) => String(b.id) === pinned);
    if (found) return unambiguous(builds, found, game);
    const listedWithout = builds.some((b) => String(b.id) === pinned);
    const refusal = listedWithout ? `Paper build ${pinned} of Minecraft ${game} has no server download` : `Paper has no build ${pinned} of Minecraft ${game}`;
    throw new UnknownBuildError(`${refusal}; ${newestListed(usable.map((b) => b.id))}.`);
  }
  const chosen = usable.filter((b) => STABLE_CHANNELS.includes(b.channel)).sort((a, b) => b.id - a.id)[0];
  if (!chosen) throw new ResolutionError(`Paper has no stable (${STABLE_CHANNELS.join(" or ")} channel) build of Minecraft ${game}.`);
  return unambiguous(builds, chosen, game);
}

/**
 * `chosen`, unless the listing has its id more than once: a build is one
 * jar, and which of two entries is PaperMC's cannot be told (taking the
 * first would let a bad entry listed first decide), so the listing is refused.
 */
function unambiguous(builds: PaperBuild[], chosen: ChosenBuild, game: string): ChosenBuild {
  if (builds.filter((b) => b.id === chosen.id).length > 1) throw new ResolutionError(`PaperMC lists build ${chosen.id} of Minecraft ${game} more than once; refused (which one is the build cannot be told).`);
  return chosen;
}
