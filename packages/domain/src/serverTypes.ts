/**
 * The server types the platform provisions: the one list the API's enum,
 * the database column and the control plane's resolvers are built from.
 * `fabric` is the default (every server created before types existed is one).
 * Not yet provisioned (refused by the API's enum): quilt,
 * forge (docs/server-types.md).
 */
export const SERVER_TYPES = ["fabric", "vanilla", "paper", "purpur", "neoforge"] as const;
export type ServerType = (typeof SERVER_TYPES)[number];
export const DEFAULT_SERVER_TYPE: ServerType = "fabric";

/** Whether a type runs Modrinth mods (a mod loader); vanilla runs none. */
export function typeLoadsMods(type: ServerType): boolean {
  return type === "fabric" || type === "neoforge";
}
/** Whether a type has a loader version to pin (`loaderVersion`). */
export function typeHasLoader(type: ServerType): boolean {
  return type === "fabric" || type === "neoforge";
}
