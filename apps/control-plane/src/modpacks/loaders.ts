import type { PackLoader } from "@zlh/artifacts";
import type { ServerType } from "@zlh/domain";

/**
 * The loader a pack's `dependencies` names -> the server type that runs it
 * (whose resolver builds the manifest, the pack's loader version pinned), or
 * why a pack for it is refused.
 */
export const PACK_LOADER_SUPPORT: Record<PackLoader, ServerType | { refused: string }> = {
  "fabric-loader": "fabric",
  "quilt-loader": "quilt",
  neoforge: "neoforge",
  // A Forge pack's mods are Forge's (NeoForge has not loaded them since 1.20.2); this platform sells no Forge servers.
  forge: { refused: "Forge servers are not offered here (NeoForge is: a pack built for NeoForge runs), so a Forge pack cannot be provisioned" },
};

export const provisionableLoaders = () => (Object.keys(PACK_LOADER_SUPPORT) as PackLoader[]).filter((l) => typeof PACK_LOADER_SUPPORT[l] === "string");

/** The server type that runs a pack's loader, or undefined for a loader refused (PACK_LOADER_SUPPORT). */
export function packLoaderType(loader: PackLoader): ServerType | undefined {
  const support = PACK_LOADER_SUPPORT[loader];
  return typeof support === "string" ? support : undefined;
}
