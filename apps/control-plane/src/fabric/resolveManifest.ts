import { fileDirectoryClash, type ArtifactSource, type Manifest } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { DEFAULT_SERVER_TYPE } from "@zlh/domain";
import { resolverFor, type ManifestRequest, type ResolveSettings } from "../serverTypes/index";
import { byCodeUnits } from "./order";
import { resolveJava } from "./adoptium";
import { resolveGame } from "./mojang";
import { ResolutionError } from "./errors";
import { resolvePackFiles } from "../modpacks/resolvePack";

export type { ManifestRequest, ResolveSettings } from "../serverTypes/index";

/**
 * Resolves a server's request into a pinned manifest: what every type
 * shares (Mojang's server jar, the Java runtime the game names), then the
 * type's own part (serverTypes/<type>.ts: loader, launcher, mods, where the
 * Mojang jar goes, the jar that starts it), with this control plane's
 * `settings` (its configuration's part in resolving). Files are sorted by path, so the
 * same inputs give the same manifest (and manifest hash).
 */
export async function resolveManifest(db: Db, source: ArtifactSource, r: ManifestRequest, settings: ResolveSettings = {}): Promise<Manifest> {
  const type = r.type ?? DEFAULT_SERVER_TYPE;
  let mojang: ReturnType<typeof resolveGame> | undefined;
  const game = () => (mojang ??= resolveGame(db, source, r.minecraftVersion));
  const resolved = await resolverFor(type)({
    db,
    source,
    request: r,
    mojangServer: async () => (await game()).server,
    mojangServerMappings: async () => (await game()).serverMappings,
    javaMajor: async () => (await game()).javaMajor,
    settings,
  });
  const pack = r.modpack ? await resolvePackFiles(db, source, r.modpack, r.minecraftVersion, r.loaderVersion ?? null) : [];
  const java = await resolveJava(db, source, (await game()).javaMajor, r.architecture ?? "x64");
  const files = [...resolved.files, ...pack].sort((a, b) => byCodeUnits(a.path, b.path));
  const paths = new Set<string>();
  for (const f of files) {
    // A pack's file on a path the platform places (the launcher, a library) can never resolve.
    if (paths.has(f.path)) throw new ResolutionError(`two files resolve to ${f.path}`);
    paths.add(f.path);
  }
  // A pack's file where the platform needs a folder (`libraries`), or inside one of the platform's files.
  const clash = fileDirectoryClash(paths);
  if (clash) throw new ResolutionError(`${clash[0]} is a file and the folder of ${clash[1]}; a path cannot be both`);
  const manifest: Manifest = { schema: 2, type, launch: resolved.launch, game: r.minecraftVersion, loader: resolved.loader, installer: resolved.installer, mods: resolved.mods, files, java };
  return r.modpack ? { ...manifest, modpack: r.modpack } : manifest;
}
