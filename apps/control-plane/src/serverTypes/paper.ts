import { ArtifactNotFoundError, PAPER_SERVER_JAR } from "@zlh/artifacts";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PAPER_API } from "../fabric/urls";
import { paperclipFiles, refuseModsAndLoader, sha256Hex } from "./paperclip";
import type { TypeResolver } from "./serverType";

interface PaperBuilds {
  builds: { build: number; channel: string; downloads: { application?: { name: string; sha256: string } } }[];
}

/**
 * Paper (PaperMC's downloads API v2, docs.papermc.io/misc/downloads-api):
 *  - a version's builds (`/projects/paper/versions/<game>/builds`); a 404 is
 *    a game Paper does not build, a permanent refusal;
 *  - the newest build of the `default` channel (experimental builds are
 *    never chosen), pinned by its number (the manifest's `loader`) and its
 *    jar's sha256 as the API publishes it;
 *  - that jar is Paperclip, which downloads Mojang's jar at first start
 *    unless it finds it: paperclipFiles places it where it looks.
 * Paper takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePaper: TypeResolver = async (input) => {
  const { db, source, request } = input;
  const game = request.minecraftVersion;
  refuseModsAndLoader("paper", request);
  let listing: PaperBuilds;
  try {
    listing = await source.fetchJson<PaperBuilds>(`${PAPER_API}/projects/paper/versions/${encodeURIComponent(game)}/builds`);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Paper does not build Minecraft ${game} (PaperMC answered ${err.status}).`);
    throw err;
  }
  const stable = (listing.builds ?? []).filter((b) => b.channel === "default" && b.downloads?.application);
  const chosen = stable.sort((a, b) => b.build - a.build)[0];
  if (!chosen) throw new ResolutionError(`Paper has no stable (default channel) build of Minecraft ${game}.`);
  const application = chosen.downloads.application!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*\.jar$/.test(application.name)) throw new ResolutionError(`Paper build ${chosen.build} has an unusable file name ${JSON.stringify(application.name)}.`);
  const url = `${PAPER_API}/projects/paper/versions/${encodeURIComponent(game)}/builds/${chosen.build}/downloads/${application.name}`;
  const paper = await fetchPinned(db, source, url);
  if (sha256Hex(paper.bytes) !== application.sha256) throw new ResolutionError(`hash mismatch for ${url}: PaperMC publishes sha256 ${application.sha256}, the file has ${sha256Hex(paper.bytes)}`);
  const files = await paperclipFiles(input, { path: PAPER_SERVER_JAR, url, ...paper }, `Paper build ${chosen.build}`);
  return { loader: String(chosen.build), installer: "", mods: [], files, launch: { jar: PAPER_SERVER_JAR } };
};
