import { NotSupportedByTypeError, typeHasLoader, typeLoadsMods, typePinsBuild, type ServerType } from "@zlh/domain";

/** A Paper or Purpur build number as the API takes it in `loaderVersion` (the one shape of LoaderVersion without a dot). */
export const BUILD_NUMBER = /^[1-9][0-9]{0,8}$/;

/**
 * Refuses settings a server's type has no use for, before anything is
 * written (a create, a change): mods on a type without a mod loader (vanilla;
 * Paper and Purpur would take plugins, which are not mods), a loader
 * version on a type without a loader, and a loader version of the wrong
 * kind (`loaderVersion` is Fabric's loader version on fabric, a build number
 * on paper and purpur).
 */
export function checkTypeSettings(s: { type: ServerType; loaderVersion: string | null; mods: readonly unknown[] }): void {
  if (!typeLoadsMods(s.type) && s.mods.length > 0) {
    const why = s.type === "paper" || s.type === "purpur" ? "it takes plugins, which are not provisioned yet" : "it has no mod loader";
    throw new NotSupportedByTypeError(`A ${s.type} server runs no mods (${why}); remove them ("mods": []), or choose the fabric type.`);
  }
  if (s.loaderVersion === null) return;
  if (!typeHasLoader(s.type)) throw new NotSupportedByTypeError(`A ${s.type} server has no loader; loaderVersion must be null or left out.`);
  const isBuild = BUILD_NUMBER.test(s.loaderVersion);
  if (typePinsBuild(s.type) && !isBuild) {
    throw new NotSupportedByTypeError(`A ${s.type} server's loaderVersion is a build number (e.g. "132"), not ${JSON.stringify(s.loaderVersion)}.`);
  }
  if (!typePinsBuild(s.type) && isBuild) {
    throw new NotSupportedByTypeError(`A ${s.type} server's loaderVersion is a loader version (e.g. "0.16.5"), not a build number.`);
  }
}
