import { ArtifactNotFoundError, PAPER_SERVER_JAR, type ArtifactSource } from "@zlh/artifacts";
import { UnknownBuildError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PAPER_API } from "../fabric/urls";
import { newestListed, pinnedBuildOf, paperclipFiles, refuseMods, sha256Hex } from "./paperclip";
import type { TypeResolver } from "./serverType";

interface PaperBuild {
  build: number;
  channel: string;
  downloads: { application?: { name: string; sha256: string } };
}

/**
 * Paper (PaperMC's downloads API v2, docs.papermc.io/misc/downloads-api):
 *  - a version's builds (`/projects/paper/versions/<game>/builds`); a 404 is
 *    a game Paper does not build, a permanent refusal;
 *  - the build the caller pinned (`loaderVersion`, any channel: the caller
 *    chose it), else the newest build of the `default` channel (experimental
 *    builds are never chosen for them), pinned by its number (the
 *    manifest's `loader`) and its jar's sha256 as the API publishes it;
 *  - that jar is Paperclip, which downloads Mojang's jar at first start
 *    unless it finds it: paperclipFiles places it where it looks.
 * Paper takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePaper: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseMods("paper", request);
  const chosen = await pinnedBuildOf(() => choosePaperBuild(source, game, request.loaderVersion ?? null));
  const application = chosen.downloads.application!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/.test(application.name)) throw new ResolutionError(`Paper build ${chosen.build} has an unusable file name ${JSON.stringify(application.name)}.`);
  const url = `${PAPER_API}/projects/paper/versions/${encodeURIComponent(game)}/builds/${chosen.build}/downloads/${application.name}`;
  const paper = await fetchPinned(db, source, url);
  if (sha256Hex(paper.bytes) !== application.sha256) throw new ResolutionError(`hash mismatch for ${url}: PaperMC publishes sha256 ${application.sha256}, the file has ${sha256Hex(paper.bytes)}`);
  const files = await paperclipFiles(input, { path: PAPER_SERVER_JAR, url, ...paper }, `Paper build ${chosen.build}`);
  return { loader: String(chosen.build), installer: "", mods: [], files, launch: { jar: PAPER_SERVER_JAR } };
};

/**
 * The Paper build to resolve for `game`: `pinned` (a build number as the API
 * takes it) when given, which must be listed with a jar (else
 * UnknownBuildError), or the newest stable one (else ResolutionError).
 */
export async function choosePaperBuild(source: ArtifactSource, game: string, pinned: string | null): Promise<PaperBuild> {
  let listing: { builds?: PaperBuild[] };
  try {
    listing = await source.fetchJson<{ builds?: PaperBuild[] }>(`${PAPER_API}/projects/paper/versions/${encodeURIComponent(game)}/builds`);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Paper does not build Minecraft ${game} (PaperMC answered ${err.status}).`);
    throw err;
  }
  const builds = (listing.builds ?? []).filter((b) => b.downloads?.application);
  if (pinned !== null) {
    const found = builds.find((b) => String(b.build) === pinned);
    if (!found) throw new UnknownBuildError(`Paper has no build ${pinned} of Minecraft ${game}; ${newestListed(builds.map((b) => b.build))}.`);
    return found;
  }
  const chosen = builds.filter((b) => b.channel === "default").sort((a, b) => b.build - a.build)[0];
  if (!chosen) throw new ResolutionError(`Paper has no stable (default channel) build of Minecraft ${game}.`);
  return chosen;
}
