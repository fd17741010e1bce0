import { ArtifactNotFoundError, type ArtifactSource } from "@zlh/artifacts";
import { ModpackInvalidError, ModpackNotFoundError } from "@zlh/domain";
import { MODRINTH_API } from "../fabric/urls";

interface PackVersion {
  id: string;
  project_id: string;
  version_number: string;
  version_type: "release" | "beta" | "alpha";
  date_published: string;
  files: { hashes: { sha512?: string; sha1?: string }; url: string; filename: string; primary: boolean; size: number }[];
}

export interface ModrinthPackFile {
  projectId: string;
  versionId: string;
  url: string;
  size: number;
  sha1: string;
  sha512: string;
}

/**
 * The `.mrpack` of a Modrinth modpack version (API v2 `GET /version/{id}`,
 * or a project's `GET /project/{id}/version` for its newest release or a
 * version number): the version's primary file, which for a modpack is the
 * `.mrpack` (a version without one, or whose file is not a `.mrpack`, is not
 * a modpack). Modrinth publishes its sha1, sha512 and size; the pack is
 * checked against them when it is downloaded.
 */
export async function modrinthPackFile(source: ArtifactSource, ref: { project?: string; version?: string }): Promise<ModrinthPackFile> {
  let v: PackVersion | undefined;
  if (!ref.project) {
    v = await json<PackVersion>(source, `${MODRINTH_API}/version/${encodeURIComponent(ref.version!)}`, `Modrinth has no version ${JSON.stringify(ref.version)}.`);
  } else {
    const all = await json<PackVersion[]>(source, `${MODRINTH_API}/project/${encodeURIComponent(ref.project)}/version`, `Modrinth has no project ${JSON.stringify(ref.project)}.`);
    const newest = (vs: PackVersion[]) => [...vs].sort((a, b) => (a.date_published < b.date_published ? 1 : a.date_published > b.date_published ? -1 : a.id < b.id ? -1 : 1))[0];
    v = ref.version ? newest(all.filter((x) => x.id === ref.version || x.version_number === ref.version)) : newest(all.filter((x) => x.version_type === "release"));
    if (!v) throw new ModpackNotFoundError(ref.version ? `The Modrinth project ${JSON.stringify(ref.project)} has no version ${JSON.stringify(ref.version)}.` : `The Modrinth project ${JSON.stringify(ref.project)} has no release.`);
  }
  const f = v.files.find((x) => x.primary) ?? v.files[0];
  if (!f || !f.filename.endsWith(".mrpack")) throw new ModpackInvalidError(`Modrinth version ${v.id} has no .mrpack file; it is not a modpack.`);
  const { sha1, sha512 } = f.hashes;
  if (!sha1 || !/^[0-9a-f]{40}$/.test(sha1) || !sha512 || !/^[0-9a-f]{128}$/.test(sha512)) throw new ModpackInvalidError(`Modrinth publishes no sha1 and sha512 for ${f.url}.`);
  return { projectId: v.project_id, versionId: v.id, url: f.url, size: f.size, sha1, sha512 };
}

async function json<T>(source: ArtifactSource, url: string, notFound: string): Promise<T> {
  try {
    return await source.fetchJson<T>(url);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ModpackNotFoundError(notFound);
    throw err;
  }
}
