import { ArtifactNotFoundError, type ArtifactSource } from "@zlh/artifacts";
import { ResolutionError } from "../fabric/errors";
import { upstreamUrlOn } from "../fabric/upstreamHosts";
import { PAPER_API } from "../fabric/urls";

/** A Paper build as PaperMC's v3 lists it, with its server jar when it publishes a usable one. */
export interface PaperBuild {
  id: number;
  channel: string;
  /** `downloads["server:default"]`: null when the build has none, or one this resolver cannot use (refused, not guessed at). */
  server: { name: string; sha256: string; url: string } | null;
}

/**
 * The channels whose builds are chosen for a caller who pinned none. v3
 * (PaperMC/fill's BuildChannel) has ALPHA, BETA, STABLE and RECOMMENDED;
 * RECOMMENDED replaces v2's `promoted` and is a stable build too.
 */
export const STABLE_CHANNELS: readonly string[] = ["STABLE", "RECOMMENDED"];

/**
 * Where v3's server jars are: PaperMC asks clients to take the URL it lists
 * rather than build one, so that URL decides what the control plane, and
 * every agent after it, fetches; only PaperMC's object store, never an
 * address a tampered listing names.
 */
export const PAPER_DOWNLOAD_HOSTS: readonly string[] = ["fill-data.papermc.io"];

/** A jar name as PaperMC's are (`paper-1.21.1-132.jar`), at most 128 characters: anything else is a download this resolver cannot use, and is never repeated. */
const JAR_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,123}\.jar$/;

/** v3's error codes (PaperMC/fill's ErrorResponse `error`) are snake_case words; anything else in a 404 body is not repeated. */
const ERROR_CODE = /^[a-z][a-z_]{0,39}$/;

/**
 * A game's Paper builds from PaperMC's downloads API v3 ("Fill"):
 * `GET /v3/projects/paper/versions/<game>/builds`, a JSON array of builds
 * (`id`, `channel`, `downloads`), newest first. A 404 is a game Paper does
 * not build (v3 answers `{"ok":false,"error":"version_not_found",...}`), a
 * permanent refusal. Every byte of the listing is upstream's: an element
 * without an integer id is skipped, a server download without a usable jar
 * name (JAR_NAME), a sha256 and an https URL on PAPER_DOWNLOAD_HOSTS counts
 * as none (so an unpinned resolution passes over its build).
 */
export async function paperBuildsOf(source: ArtifactSource, game: string): Promise<PaperBuild[]> {
  const listingPath = `${PAPER_API}/projects/paper/versions/${encodeURIComponent(game)}/builds`;
  let listing: unknown;
  try {
    listing = await source.fetchJson<unknown>(listingPath);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(notBuilt(source, game, listingPath, err));
    throw err;
  }
  if (!Array.isArray(listing)) throw new ResolutionError(`PaperMC's builds of Minecraft ${game} are not a list (its v3 API answers an array).`);
  return listing.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const b = entry as { id?: unknown; channel?: unknown; downloads?: Record<string, unknown> };
    if (!Number.isSafeInteger(b.id) || (b.id as number) < 0) return [];
    return [{ id: b.id as number, channel: typeof b.channel === "string" ? b.channel : "", server: serverDownloadOf(b.downloads?.["server:default"]) }];
  });
}

function serverDownloadOf(d: unknown): PaperBuild["server"] {
  if (typeof d !== "object" || d === null) return null;
  const { name, checksums, url } = d as { name?: unknown; checksums?: { sha256?: unknown }; url?: unknown };
  const sha256 = checksums?.sha256;
  if (typeof name !== "string" || !JAR_NAME.test(name) || typeof sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(sha256) || typeof url !== "string") return null;
  const href = upstreamUrlOn(url, PAPER_DOWNLOAD_HOSTS);
  return href === null ? null : { name, sha256: sha256.toLowerCase(), url: href };
}

/**
 * Why a listing is not there. PaperMC's 404 is a game it does not build; so
 * is an operator's mirror's when it repeats v3's error code. A mirror's bare
 * 404 may be a mirror still holding only v2's `api.papermc.io` tree (v3's
 * path is then never there): said so, so the operator refills it.
 */
function notBuilt(source: ArtifactSource, game: string, listingPath: string, err: ArtifactNotFoundError): string {
  const code = errorCodeOf(err.body);
  if (source.kind === "mirror" && code === "") {
    return `Paper does not build Minecraft ${game}, or the mirror lacks ${listingPath.replace(/^https:\/\//, "")} (it answered ${err.status} without a v3 error code); a mirror filled from PaperMC's v2 API must be refilled from v3.`;
  }
  return `Paper does not build Minecraft ${game} (PaperMC answered ${err.status}${code}).`;
}

/** ": version_not_found" from a v3 error body, or nothing (a mirror's bare 404, or a body that is not v3's). */
function errorCodeOf(body: string): string {
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === "string" && ERROR_CODE.test(error) ? `: ${error}` : "";
  } catch {
    return "";
  }
}
