/**
 * Where the Fabric server launcher looks for a complete install, relative to
 * the server directory (FabricMC/fabric-installer ServerLauncher.java): the
 * vanilla jar and the launch jar under `.fabric/server/`, the libraries that
 * the launch jar's Class-Path names under `libraries/`.
 */
export const FABRIC_LAUNCHER_JAR = "fabric-server-launch.jar";
export const FABRIC_DATA_DIR = ".fabric/server";

export const vanillaServerJarPath = (game: string) => `${FABRIC_DATA_DIR}/${game}-server.jar`;
export const fabricLaunchJarPath = (loader: string, game: string) => `${FABRIC_DATA_DIR}/fabric-loader-server-${loader}-minecraft-${game}.jar`;
export const libraryPath = (mavenPath: string) => `libraries/${mavenPath}`;
/** A Class-Path entry is resolved against the launch jar's own folder, `.fabric/server/`. */
export const classPathEntry = (mavenPath: string) => `../../${libraryPath(mavenPath)}`;

/** `group:artifact:version[:classifier]` -> the Maven repository path of its jar. */
export function mavenPath(coordinates: string): string {
  const [group, artifact, version, classifier] = coordinates.split(":");
  if (!group || !artifact || !version) throw new Error(`not a Maven coordinate: ${coordinates}`);
  return `${group.replaceAll(".", "/")}/${artifact}/${version}/${artifact}-${version}${classifier ? `-${classifier}` : ""}.jar`;
}

/**
 * Fabric's version comparison (installer Utils.compareVersions): numeric
 * components compared as numbers, from the left; `0.16.5` > `0.12`.
 */
export function compareFabricVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? 0, pb[i] ?? 0];
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Unattended server installs need loader 0.12 or newer (ServerLauncher.validateLoaderVersion; meta answers 400 below it). */
export const MIN_UNATTENDED_LOADER = "0.12";
export const UNATTENDED_LOADER_REFUSAL =
  "Fabric loader 0.12 or higher is required for unattended server installs. Please use a newer fabric loader version, or the full installer.";
