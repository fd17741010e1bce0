import { ArtifactNotFoundError, type ArtifactSource, type ManifestFile } from "@zlh/artifacts";
import type { Static } from "typebox";
import type { ManifestMod } from "@zlh/artifacts";
import { ResolutionError } from "./errors";
import { byCodeUnits } from "./order";
import { MODRINTH_API } from "./urls";

interface Project {
  id: string;
  slug: string;
  title: string;
  server_side: "required" | "optional" | "unsupported" | "unknown";
}
interface Dependency {
  version_id: string | null;
  project_id: string | null;
  dependency_type: "required" | "optional" | "incompatible" | "embedded";
}
interface Version {
  id: string;
  project_id: string;
  version_number: string;
  version_type: "release" | "beta" | "alpha";
  date_published: string;
  loaders: string[];
  game_versions: string[];
  dependencies: Dependency[];
  files: { hashes: { sha512: string; sha1: string }; url: string; filename: string; primary: boolean; size: number }[];
}

export interface ModRequest {
  project: string;
  version?: string;
  /** Accept a beta or alpha when the project has no release for the game (Modrinth's `version_type`). */
  allowPrerelease?: boolean;
}

/**
 * The Modrinth loaders a server's mods may be for (the `loaders` facet, and
 * the check of each version), and how messages name them. Quilt loads
 * Fabric's mods as well as its own, so a Quilt server asks for both.
 */
export interface ModLoader {
  loaders: string[];
  name: string;
}
const FABRIC_MODS: ModLoader = { loaders: ["fabric"], name: "Fabric" };
export const QUILT_MODS: ModLoader = { loaders: ["quilt", "fabric"], name: "Quilt (or Fabric)" };
export const NEOFORGE_MODS: ModLoader = { loaders: ["neoforge"], name: "NeoForge" };

interface Chosen {
  project: Project;
  version: Version;
  reason: "requested" | "dependency";
}

/**
 * Resolves the requested mods and, recursively, their required dependencies
 * on Modrinth (API v2), for one game version and a loader (Fabric's, or
 * Quilt's, which loads Fabric's mods too):
 *  - a pinned version id is used as is, after checking it supports the game
 *    version and Fabric; a pinned version number (not unique on Modrinth: the
 *    same number is often published per loader or game) takes the newest
 *    version with that number that fits;
 *  - otherwise the newest release that fits; a project with only betas or
 *    alphas for the game is refused, naming it, unless the request opts in
 *    with `allowPrerelease` (then its newest pre-release is taken);
 *  - dependencies are deduplicated by project id, and what was asked for
 *    (pinned versions above all) wins over what a dependency would pick;
 *  - a client-only mod (`server_side: unsupported`) and a mod declared
 *    `incompatible` with another in the set are refused, naming them;
 *  - Modrinth ids, never slugs, are recorded; files come with Modrinth's
 *    sha512 and sha1.
 */
export async function resolveMods(
  source: ArtifactSource,
  game: string,
  requests: ModRequest[],
  loader: ModLoader = FABRIC_MODS,
): Promise<{ mods: Static<typeof ManifestMod>[]; files: ManifestFile[] }> {
  const withLoader = loader.name;
  const chosen = new Map<string, Chosen>();
  const projects = new Map<string, Project>();
  const project = async (idOrSlug: string, forWhat: string): Promise<Project> => {
    const cached = projects.get(idOrSlug);
    if (cached) return cached;
    const p = await json<Project>(source, `${MODRINTH_API}/project/${encodeURIComponent(idOrSlug)}`, `Modrinth has no project "${idOrSlug}" (${forWhat}).`);
    if (p.server_side === "unsupported") throw new ResolutionError(`Mod "${p.slug}" (${p.id}) is client-only (server_side: unsupported) and cannot run on a server.`);
    projects.set(idOrSlug, p);
    projects.set(p.id, p);
    return p;
  };
  const fits = (v: Version) => v.loaders.some((l) => loader.loaders.includes(l)) && v.game_versions.includes(game);
  const newest = async (p: Project, allowPrerelease: boolean, forWhat: string): Promise<Version> => {
    const query = new URLSearchParams({ loaders: JSON.stringify(loader.loaders), game_versions: JSON.stringify([game]) });
    const versions = (await json<Version[]>(source, `${MODRINTH_API}/project/${p.id}/version?${query}`, `Modrinth lists no versions of "${p.slug}".`)).filter(fits);
    const releases = versions.filter((v) => v.version_type === "release");
    const best = newestOf(releases.length > 0 || !allowPrerelease ? releases : versions);
    if (best) return best;
    if (versions.length === 0) throw new ResolutionError(`Mod "${p.slug}" (${forWhat}) has no version for Minecraft ${game} with ${withLoader}.`);
    const types = [...new Set(versions.map((v) => v.version_type))].sort(byCodeUnits).join(", ");
    throw new ResolutionError(
      `Mod "${p.slug}" (${forWhat}) has only pre-release versions (${types}) for Minecraft ${game} with ${withLoader}; ask for it with "allowPrerelease": true to accept one.`,
    );
  };
  const pinned = async (p: Project, wanted: string): Promise<Version> => {
    let v: Version | undefined;
    if (/^[A-Za-z0-9]{8}$/.test(wanted)) {
      // An 8-character pin may be a version id, or just a short version number.
      v = await source.fetchJson<Version>(`${MODRINTH_API}/version/${wanted}`).catch((err) => {
        if (err instanceof ArtifactNotFoundError) return undefined;
        throw err;
      });
    }
    if (!v || v.project_id !== p.id) {
      const all = await json<Version[]>(source, `${MODRINTH_API}/project/${p.id}/version`, `Modrinth lists no versions of "${p.slug}".`);
      const matches = all.filter((x) => x.version_number === wanted || x.id === wanted);
      v = newestOf(matches.filter(fits)) ?? matches[0];
    }
    if (!v) throw new ResolutionError(`Mod "${p.slug}" has no version "${wanted}".`);
    if (!fits(v)) throw new ResolutionError(`Mod "${p.slug}" version ${v.version_number} does not support Minecraft ${game} with ${withLoader}.`);
    return v;
  };

  for (const r of requests) {
    const p = await project(r.project, "requested");
    const v = r.version ? await pinned(p, r.version) : await newest(p, r.allowPrerelease === true, "requested");
    const earlier = chosen.get(p.id);
    if (earlier && earlier.version.id !== v.id) throw new ResolutionError(`Mod "${p.slug}" is requested twice with different versions.`);
    chosen.set(p.id, { project: p, version: v, reason: "requested" });
  }
  const queue = [...chosen.values()];
  for (let next = queue.shift(); next; next = queue.shift()) {
    for (const dep of next.version.dependencies.filter((d) => d.dependency_type === "required")) {
      const byVersion = dep.version_id ? await json<Version>(source, `${MODRINTH_API}/version/${dep.version_id}`, `Modrinth has no version ${dep.version_id} (required by "${next.project.slug}").`) : null;
      const projectId = dep.project_id ?? byVersion?.project_id;
      if (!projectId || chosen.has(projectId)) continue; // what was asked for, or chosen first, wins
      const p = await project(projectId, `required by "${next.project.slug}"`);
      if (chosen.has(p.id)) continue;
      const v = byVersion && fits(byVersion) ? byVersion : await newest(p, false, `required by "${next.project.slug}"`);
      const entry: Chosen = { project: p, version: v, reason: "dependency" };
      chosen.set(p.id, entry);
      queue.push(entry);
    }
  }
  for (const c of chosen.values()) {
    for (const dep of c.version.dependencies.filter((d) => d.dependency_type === "incompatible")) {
      const clash = [...chosen.values()].find((o) => o.project.id === dep.project_id || o.version.id === dep.version_id);
      if (clash) throw new ResolutionError(`Mod "${c.project.slug}" is incompatible with "${clash.project.slug}"; they cannot be installed together.`);
    }
  }

  const sorted = [...chosen.values()].sort((a, b) => byCodeUnits(a.project.id, b.project.id));
  return {
    mods: sorted.map((c) => ({ projectId: c.project.id, versionId: c.version.id, versionNumber: c.version.version_number, reason: c.reason })),
    files: sorted.map((c) => {
      const f = c.version.files.find((x) => x.primary) ?? c.version.files[0];
      if (!f) throw new ResolutionError(`Mod "${c.project.slug}" version ${c.version.version_number} has no file.`);
      if (!/^[^/\\\0]+\.jar$/.test(f.filename)) throw new ResolutionError(`Mod "${c.project.slug}" has an unusable file name ${JSON.stringify(f.filename)}.`);
      return { path: `mods/${f.filename}`, url: f.url, kind: "mod" as const, size: f.size, sha512: f.hashes.sha512, sha1: f.hashes.sha1 };
    }),
  };
}

async function json<T>(source: ArtifactSource, url: string, notFound: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError && notFound) throw new ResolutionError(notFound);
    throw err;
  }
}

/** The newest by publication date (ties broken by id, so the choice is stable). */
function newestOf(versions: Version[]): Version | undefined {
  return [...versions].sort((a, b) => byCodeUnits(b.date_published, a.date_published) || byCodeUnits(a.id, b.id))[0];
}
