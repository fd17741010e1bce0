import { ArtifactFetchError, type ArtifactSource } from "@zlh/artifacts";
import { typePinsBuild, UnknownBuildError, UpstreamUnavailableError, type ServerType } from "@zlh/domain";
import { ResolutionError } from "../fabric/errors";
import { choosePaperBuild } from "./paper";
import { choosePurpurBuild } from "./purpur";

const LOOKUPS: Partial<Record<ServerType, (source: ArtifactSource, game: string, pinned: string) => Promise<unknown>>> = {
  paper: choosePaperBuild,
  purpur: choosePurpurBuild,
};

/**
 * Refuses, before anything is written (a create, a change), a Paper or
 * Purpur build the caller pins that its upstream does not list for the game
 * (or whose Purpur build failed): 422 unknown_build, naming the newest
 * builds there are. The upstream is asked as resolution asks it (the same
 * lookup); a game it does not build is unknown_build too, and an upstream
 * that cannot be asked now is 503 unavailable (nothing written: the caller
 * retries). Without a pinned build there is nothing to check here.
 */
export async function checkPinnedBuild(source: ArtifactSource, s: { type: ServerType; minecraftVersion: string; loaderVersion: string | null }): Promise<void> {
  const lookup = LOOKUPS[s.type];
  if (!typePinsBuild(s.type) || !lookup || s.loaderVersion === null) return;
  try {
    await lookup(source, s.minecraftVersion, s.loaderVersion);
  } catch (err) {
    if (err instanceof UnknownBuildError) throw err;
    if (err instanceof ResolutionError) throw new UnknownBuildError(`${err.message} No build ${s.loaderVersion} of it can be pinned.`);
    if (err instanceof ArtifactFetchError) throw new UpstreamUnavailableError(`The ${s.type} builds of Minecraft ${s.minecraftVersion} could not be asked for now (${err.message}); try again.`);
    throw err;
  }
}
