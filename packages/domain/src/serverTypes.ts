/**
 * The server types the platform provisions: the one list the API's enum,
 * the database column and the control plane's resolvers are built from.
 * `fabric` is the default (every server created before types existed is one).
 * Not yet provisioned (refused by the API's enum): forge
 * (docs/server-types.md).
 */
export const SERVER_TYPES = ["fabric", "vanilla", "paper", "purpur", "quilt", "neoforge"] as const;
export type ServerType = (typeof SERVER_TYPES)[number];
export const DEFAULT_SERVER_TYPE: ServerType = "fabric";

/** Whether a type runs Modrinth mods (a mod loader); vanilla runs none. Quilt loads Fabric's mods and its own. */
export function typeLoadsMods(type: ServerType): boolean {
  return type === "fabric" || type === "quilt" || type === "neoforge";
}
/** Whether a type has a loader version to pin (`loaderVersion`): Fabric's or Quilt's loader, or Paper's and Purpur's build. */
export function typeHasLoader(type: ServerType): boolean {
  return type === "fabric" || type === "quilt" || type === "neoforge" || typePinsBuild(type);
}
/**
 * Whether a type's `loaderVersion` is a build number (Paper, Purpur): the
 * upstream numbers builds per game version, so a pinned build means nothing
 * for another game (a game change goes back to the newest build).
 */
export function typePinsBuild(type: ServerType): boolean {
  return type === "paper" || type === "purpur";
}
/**
 * Whether a type's pinned `loaderVersion` belongs to one game version: a
 * Paper or Purpur build, or a NeoForge version (21.1.77 is for 1.21.1). A
 * game change drops such a pin (the newest for the new game is taken);
 * Fabric's and Quilt's loaders run on every game and are kept.
 */
export function typeLoaderIsPerGame(type: ServerType): boolean {
  return typePinsBuild(type) || type === "neoforge";
}
