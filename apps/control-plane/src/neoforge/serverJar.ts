import { isSafeRelativePath } from "@zlh/artifacts";
import { ResolutionError } from "../fabric/errors";

/**
 * Where Mojang's jar is pre-placed for the installer: install_profile.json's
 * serverJarPath (`{LIBRARY_DIR}/net/minecraft/server/{MINECRAFT_VERSION}/
 * server-{MINECRAFT_VERSION}.jar`) with the two placeholders the installer
 * fills for a server filled in. The profile is upstream's, so what it can
 * make of the path is the resolution's refusal (a clear lastError), never a
 * plain error from writing the file: another placeholder left in it, a path
 * that is not a plain relative one (an empty or `.` segment), or one that
 * is, or is a folder of, or is inside, a library's (Mojang's jar would
 * overwrite it, or could not be written).
 */
export function serverJarPathOf(template: string, game: string, libraryPaths: readonly string[]): string {
  const path = template.replace(/^\{LIBRARY_DIR\}\//, "libraries/").replaceAll("{MINECRAFT_VERSION}", game);
  const placeholder = /\{[^}]*\}?/.exec(path)?.[0];
  if (placeholder) throw new ResolutionError(`install_profile.json's serverJarPath ${JSON.stringify(template)} names ${placeholder}, which a server install does not fill; refused.`);
  if (!isSafeRelativePath(path)) throw new ResolutionError(`install_profile.json's serverJarPath ${JSON.stringify(template)} is not a plain relative path (an empty or "." segment); refused.`);
  for (const lib of libraryPaths) {
    const other = `libraries/${lib}`;
    if (other === path || other.startsWith(`${path}/`) || path.startsWith(`${other}/`)) {
      throw new ResolutionError(`install_profile.json's serverJarPath ${JSON.stringify(template)} is where the installer puts the library ${lib}; refused.`);
    }
  }
  return path;
}
