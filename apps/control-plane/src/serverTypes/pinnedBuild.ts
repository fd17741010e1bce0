import { ArtifactFetchError, parseNeoforgeVersion, type ArtifactSource } from "@zlh/artifacts";
import { typePinsBuild, UnknownBuildError, UpstreamUnavailableError, type ServerType } from "@zlh/domain";
import { ResolutionError } from "../fabric/errors";
import { choosePaperBuild } from "./paper";
import { choosePurpurBuild } from "./purpur";

const LOOKUPS: Partial<Record<ServerType, (source: ArtifactSource, game: string, pinned: string) => Promise<unknown>>> = {
  paper: choosePaperBuild,
  purpur: choosePurpurBuild,
};

/** How long a create or change waits for the upstream: the caller is a panel request, not a job that may retry for minutes. */
export const PIN_CHECK_DEADLINE_MS = 10_000;
/** A build found listed is taken as listed this long: a panel creating ten servers asks the upstream once. */
const LISTED_FOR_MS = 60_000;
const MAX_REMEMBERED = 1000;

/** Per source, lookups in flight or found listed, by type, game and build: concurrent requests share one upstream call. */
const rememberedBy = new WeakMap<ArtifactSource, Map<string, { at: number; lookup: Promise<void> }>>();

/**
 * Refuses, before anything is written (a create, a change), a Paper or
 * Purpur build the caller pins that its upstream does not list for the game
 * (or whose Purpur build failed): 422 unknown_build, naming the newest
 * builds there are. The upstream is asked as resolution asks it (the same
 * lookup); a game it does not build is unknown_build too, and an upstream
 * that cannot be asked now, or not within PIN_CHECK_DEADLINE_MS, is 503
 * unavailable (nothing written: the caller retries; the upstream source's
 * own retries go on in the background, bounded, and a later check shares
 * them). A build found listed is remembered for a minute. Without a pinned
 * build there is nothing to check here.
 */
export async function checkPinnedBuild(
  source: ArtifactSource,
  s: { type: ServerType; minecraftVersion: string; loaderVersion: string | null },
  deadlineMs = PIN_CHECK_DEADLINE_MS,
): Promise<void> {
  if (s.type === "neoforge" && s.loaderVersion !== null) return checkNeoforgePin(s.loaderVersion, s.minecraftVersion);
  const lookup = LOOKUPS[s.type];
  if (!typePinsBuild(s.type) || !lookup || s.loaderVersion === null) return;
  const remembered = rememberedBy.get(source) ?? new Map<string, { at: number; lookup: Promise<void> }>();
  rememberedBy.set(source, remembered);
  const key = `${s.type}\0${s.minecraftVersion}\0${s.loaderVersion}`;
  let entry = remembered.get(key);
  if (!entry || Date.now() - entry.at > LISTED_FOR_MS) {
    const pinned = s.loaderVersion;
    const made = { at: Date.now(), lookup: lookup(source, s.minecraftVersion, pinned).then(() => undefined) };
    entry = made;
    remembered.set(key, made);
    // Only a build found listed is remembered: a refusal or a failure is asked again next time.
    made.lookup.catch(() => remembered.get(key) === made && remembered.delete(key));
    if (remembered.size > MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
  }
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UpstreamUnavailableError(`The ${s.type} builds of Minecraft ${s.minecraftVersion} did not come within ${deadlineMs / 1000} s; try again.`)), deadlineMs);
  });
  try {
    await Promise.race([entry.lookup, late]);
  } catch (err) {
    if (err instanceof UnknownBuildError || err instanceof UpstreamUnavailableError) throw err;
    if (err instanceof ResolutionError) throw new UnknownBuildError(`${err.message} No build ${s.loaderVersion} of it can be pinned.`);
    if (err instanceof ArtifactFetchError) throw new UpstreamUnavailableError(`The ${s.type} builds of Minecraft ${s.minecraftVersion} could not be asked for now (${err.message}); try again.`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A NeoForge version names its game (21.1.77 is for 1.21.1, 26.1.0.3 for
 * 26.1): one pinned for another game is refused here, with no upstream
 * asked, rather than accepted and failed in the job. Whether the build
 * exists is the resolution's to find (it reads maven-metadata.xml).
 */
function checkNeoforgePin(version: string, game: string): void {
  const parsed = parseNeoforgeVersion(version);
  if (!parsed) throw new UnknownBuildError(`${JSON.stringify(version)} is not a NeoForge version (such as 21.1.77 for Minecraft 1.21.1).`);
  if (parsed.game !== game) throw new UnknownBuildError(`NeoForge ${version} is built for Minecraft ${parsed.game}, not ${game}; pin a NeoForge version of ${game}, or leave loaderVersion out for its newest.`);
}
