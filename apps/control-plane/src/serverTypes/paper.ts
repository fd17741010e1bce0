import { createHash } from "node:crypto";
import { ArtifactNotFoundError, PAPER_SERVER_JAR, paperclipCachePath, readDownloadContext, type DownloadContext } from "@zlh/artifacts";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PAPER_API } from "../fabric/urls";
import type { TypeResolver } from "./serverType";

interface PaperBuilds {
  builds: { build: number; channel: string; downloads: { application?: { name: string; sha256: string } } }[];
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * Paper (PaperMC's downloads API v2, docs.papermc.io/misc/downloads-api):
 *  - a version's builds (`/projects/paper/versions/<game>/builds`); a 404 is
 *    a game Paper does not build, a permanent refusal;
 *  - the newest build of the `default` channel (experimental builds are
 *    never chosen), pinned by its number (the manifest's `loader`) and its
 *    jar's sha256 as the API publishes it;
 *  - that jar is Paperclip: at first start it reads its download context and
 *    downloads Mojang's jar into `cache/<file>` unless that file is there with
 *    the context's sha256. So the manifest places Mojang's jar (pinned by
 *    mojang.ts) exactly there, after checking here, once, that its sha256 is
 *    the one Paperclip expects; the rest (patching, extracting the libraries)
 *    happens locally from the two jars (paperclipLaunchDecision).
 * Paper takes plugins, not Modrinth mods: mods are refused.
 */
export const resolvePaper: TypeResolver = async ({ db, source, request, mojangServer }) => {
  const game = request.minecraftVersion;
  if (request.mods.length > 0) throw new ResolutionError("A paper server runs no mods (Paper takes plugins, which are not provisioned yet); remove them.");
  if (request.loaderVersion) throw new ResolutionError("A paper server has no loader; loaderVersion must be null.");
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
  if (sha256(paper.bytes) !== application.sha256) throw new ResolutionError(`hash mismatch for ${url}: PaperMC publishes sha256 ${application.sha256}, the file has ${sha256(paper.bytes)}`);

  const context = downloadContextOf(paper.bytes, chosen.build);
  const mojang = await mojangServer();
  const mojangBytes = await fetchPinned(db, source, mojang.url, { sha1: mojang.sha1, size: mojang.size });
  if (sha256(mojangBytes.bytes) !== context.sha256) {
    throw new ResolutionError(`Paper build ${chosen.build} patches a Mojang jar with sha256 ${context.sha256}, but Mojang's ${game} server jar is ${sha256(mojangBytes.bytes)}; Paperclip would download another at first start.`);
  }
  return {
    loader: String(chosen.build),
    installer: "",
    mods: [],
    files: [
      { ...mojang, path: paperclipCachePath(context) },
      { path: PAPER_SERVER_JAR, url, kind: "server", ...paper.digest },
    ],
    launch: { jar: PAPER_SERVER_JAR },
  };
};

function downloadContextOf(jar: Uint8Array, build: number): DownloadContext {
  let context: DownloadContext | null;
  try {
    context = readDownloadContext(jar);
  } catch (err) {
    throw new ResolutionError(`Paper build ${build} is not a readable Paperclip jar: ${(err as Error).message}`);
  }
  if (!context) throw new ResolutionError(`Paper build ${build} names no Mojang jar to patch (no META-INF/download-context).`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*\.jar$/.test(context.fileName)) throw new ResolutionError(`Paper build ${build} names an unusable cache file ${JSON.stringify(context.fileName)}.`);
  return context;
}
