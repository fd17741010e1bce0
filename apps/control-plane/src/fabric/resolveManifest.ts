import type { ArtifactSource, Manifest } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { byCodeUnits } from "./order";
import { resolveFabric } from "./fabric";
import { resolveMods, type ModRequest } from "./modrinth";
import { resolveVanillaServer } from "./mojang";

export interface ManifestRequest {
  minecraftVersion: string;
  loaderVersion?: string | null;
  mods: ModRequest[];
}

/**
 * Resolves a server's request into a pinned manifest: Fabric (loader,
 * installer, launcher, libraries), the vanilla server jar, and the mods with
 * their dependencies. Files are sorted by path, so the same inputs give the
 * same manifest (and the same manifest hash).
 */
export async function resolveManifest(db: Db, source: ArtifactSource, r: ManifestRequest): Promise<Manifest> {
  const fabric = await resolveFabric(db, source, r.minecraftVersion, r.loaderVersion ?? undefined);
  const vanilla = await resolveVanillaServer(db, source, r.minecraftVersion);
  const mods = await resolveMods(source, r.minecraftVersion, r.mods);
  const files = [...fabric.files, vanilla, ...mods.files].sort((a, b) => byCodeUnits(a.path, b.path));
  const paths = new Set<string>();
  for (const f of files) {
    if (paths.has(f.path)) throw new Error(`two files resolve to ${f.path}`);
    paths.add(f.path);
  }
  return { schema: 2, game: r.minecraftVersion, loader: fabric.loader, installer: fabric.installer, mods: mods.mods, files };
}
