import type { PackLoader } from "@zlh/artifacts";
import type { ServerType } from "@zlh/domain";

/**
 * The loader a pack's `dependencies` names -> how this platform provisions
 * it: the server loader whose resolver builds the manifest, or null when no
 * resolver exists yet (the pack is refused, naming the loader). Forge and
 * NeoForge get their entry when their server types land.
 */
export const PACK_LOADER_SUPPORT: Record<PackLoader, ServerType | null> = {
  "fabric-loader": "fabric",
  "quilt-loader": "quilt",
  forge: null,
  neoforge: null,
};

export const provisionableLoaders = () => (Object.keys(PACK_LOADER_SUPPORT) as PackLoader[]).filter((l) => PACK_LOADER_SUPPORT[l] !== null);
