import { ArtifactNotFoundError, type ArtifactSource, type ManifestFile } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { digestOf } from "./digest";
import { ResolutionError } from "./errors";
import { FABRIC_META, mavenPath } from "./urls";

interface Library {
  name: string;
  url: string;
  sha1?: string;
  size?: number;
}

interface LoaderEntry {
  loader: { version: string; maven: string; stable: boolean };
  intermediary: { maven: string; version: string };
  launcherMeta: { libraries: { common?: Library[]; server?: Library[] } };
}

interface InstallerEntry {
  version: string;
  stable: boolean;
}

const FABRIC_MAVEN = "https://maven.fabricmc.net/";

export interface ResolvedLoader {
  loader: string;
  installer: string;
  files: ManifestFile[];
}

/**
 * The Fabric side of a manifest: the loader (pinned, or the newest stable one
 * that supports the game version, as Fabric meta lists them newest first),
 * the newest stable installer, the server launcher jar and every library the
 * launcher would otherwise download on first boot, pre-staged under
 * `libraries/` by Maven path. Fabric publishes no hash for the launcher (and
 * not always for libraries): those are downloaded once and hashed.
 */
export async function resolveFabric(db: Db, source: ArtifactSource, game: string, loaderVersion?: string): Promise<ResolvedLoader> {
  let entries: LoaderEntry[];
  try {
    entries = await source.fetchJson<LoaderEntry[]>(`${FABRIC_META}/versions/loader/${game}`);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`Fabric has no loader for Minecraft ${game}.`);
    throw err;
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new ResolutionError(`Fabric has no loader for Minecraft ${game}.`);
  const entry = loaderVersion ? entries.find((e) => e.loader.version === loaderVersion) : entries.find((e) => e.loader.stable);
  if (!entry) {
    throw new ResolutionError(
      loaderVersion
        ? `Fabric loader ${loaderVersion} does not support Minecraft ${game}.`
        : `Fabric has no stable loader for Minecraft ${game}.`,
    );
  }
  const installers = await source.fetchJson<InstallerEntry[]>(`${FABRIC_META}/versions/installer`);
  const installer = installers.find((i) => i.stable)?.version;
  if (!installer) throw new ResolutionError("Fabric lists no stable installer.");

  const launcherUrl = `${FABRIC_META}/versions/loader/${game}/${entry.loader.version}/${installer}/server/jar`;
  const files: ManifestFile[] = [{ path: "fabric-server-launch.jar", url: launcherUrl, kind: "launcher", ...(await digest(db, source, launcherUrl)) }];

  const libraries: Library[] = [
    ...(entry.launcherMeta.libraries.common ?? []),
    ...(entry.launcherMeta.libraries.server ?? []),
    { name: entry.loader.maven, url: FABRIC_MAVEN },
    { name: entry.intermediary.maven, url: FABRIC_MAVEN },
  ];
  const seen = new Set<string>();
  for (const lib of libraries) {
    const path = mavenPath(lib.name);
    if (seen.has(path)) continue;
    seen.add(path);
    const url = `${lib.url.replace(/\/?$/, "/")}${path}`;
    const d = await digestOf(db, source, url, { sha1: lib.sha1, size: lib.size });
    files.push({ path: `libraries/${path}`, url, kind: "library", size: d.size, sha512: d.sha512, sha1: d.sha1 });
  }
  return { loader: entry.loader.version, installer, files };
}

async function digest(db: Db, source: ArtifactSource, url: string) {
  const d = await digestOf(db, source, url);
  return { size: d.size, sha512: d.sha512, sha1: d.sha1 };
}
