import type { ArtifactSource, JavaArchitecture, Manifest, ManifestModpack } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { byCodeUnits } from "./order";
import { resolveFabric } from "./fabric";
import { resolveMods, type ModRequest } from "./modrinth";
import { resolveJava } from "./adoptium";
import { resolveGame } from "./mojang";
import { ResolutionError } from "./errors";
import { resolvePackFiles } from "../modpacks/resolvePack";

export interface ManifestRequest {
  minecraftVersion: string;
  loaderVersion?: string | null;
  mods: ModRequest[];
  /** The architecture of the Java runtime to pin (the hosts'); x64 when not given. */
  architecture?: JavaArchitecture;
  /** A modpack server's pack (its game and loader are then the pack's, and its files are the mods). */
  modpack?: ManifestModpack | null;
}

/**
 * Resolves a server's request into a pinned manifest: Fabric (loader,
 * installer, launcher, libraries), the vanilla server jar, the mods with
 * their dependencies, and the Java runtime the game names. Files are sorted
 * by path, so the same inputs give the same manifest (and manifest hash).
 */
export async function resolveManifest(db: Db, source: ArtifactSource, r: ManifestRequest): Promise<Manifest> {
  const fabric = await resolveFabric(db, source, r.minecraftVersion, r.loaderVersion ?? undefined);
  const game = await resolveGame(db, source, r.minecraftVersion);
  const vanilla = game.server;
  const mods = await resolveMods(source, r.minecraftVersion, r.mods);
  const pack = r.modpack ? await resolvePackFiles(db, source, r.modpack, r.minecraftVersion, r.loaderVersion ?? null) : [];
  const java = await resolveJava(db, source, game.javaMajor, r.architecture ?? "x64");
  const files = [...fabric.files, vanilla, ...mods.files, ...pack].sort((a, b) => byCodeUnits(a.path, b.path));
  const paths = new Set<string>();
  for (const f of files) {
    // A pack's file on a path the platform places (the launcher, a library) can never resolve.
    if (paths.has(f.path)) throw new ResolutionError(`two files resolve to ${f.path}`);
    paths.add(f.path);
  }
  const manifest: Manifest = { schema: 2, game: r.minecraftVersion, loader: fabric.loader, installer: fabric.installer, mods: mods.mods, files, java };
  return r.modpack ? { ...manifest, modpack: r.modpack } : manifest;
}
