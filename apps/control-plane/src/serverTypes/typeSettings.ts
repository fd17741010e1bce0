import { NotSupportedByTypeError, typeHasLoader, typeLoadsMods, type ServerType } from "@zlh/domain";

/**
 * Refuses settings a server's type has no use for, before anything is
 * written (a create, a change): mods on a type without a mod loader (vanilla;
 * Paper and Purpur would take plugins, which are not mods), and a loader
 * version on a type without a loader.
 */
export function checkTypeSettings(s: { type: ServerType; loaderVersion: string | null; mods: readonly unknown[] }): void {
  if (!typeLoadsMods(s.type) && s.mods.length > 0) {
    const why = s.type === "paper" || s.type === "purpur" ? "it takes plugins, which are not provisioned yet" : "it has no mod loader";
    throw new NotSupportedByTypeError(`A ${s.type} server runs no mods (${why}); remove them ("mods": []), or choose the fabric type.`);
  }
  if (!typeHasLoader(s.type) && s.loaderVersion !== null) {
    throw new NotSupportedByTypeError(`A ${s.type} server has no loader; loaderVersion must be null or left out.`);
  }
}
