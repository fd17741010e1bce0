import { renderJavaManifest } from "../javaManifest";
import { storedZip, zipEntries } from "../zip";

/** What the launch jar is made of: everything the launcher itself would write into it. */
export interface LaunchJarRecipe {
  /** Main-Class of the loader jar's manifest (the installer copies it). */
  mainClass: string;
  /** `launch.mainClass` of fabric-server-launch.properties: the loader's server main class from meta. */
  launchMainClass: string;
  /** The libraries, relative to `.fabric/server/`, in the installer's order. */
  classPath: string[];
}

/**
 * `.fabric/server/fabric-loader-server-<loader>-minecraft-<game>.jar`, as the
 * launcher writes it after an install (ServerInstaller.makeLaunchJar): a
 * manifest with Main-Class and Class-Path, and the entry
 * `fabric-server-launch.properties`. Stored entries and fixed timestamps make
 * it reproducible, so its sha512 is pinned like any downloaded file's.
 */
export function buildLaunchJar(r: LaunchJarRecipe): Uint8Array {
  const manifest = renderJavaManifest([
    ["Main-Class", r.mainClass],
    ["Class-Path", r.classPath.join(" ")],
  ]);
  return storedZip([
    { name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode(manifest) },
    { name: "fabric-server-launch.properties", data: new TextEncoder().encode(`launch.mainClass=${r.launchMainClass}\n`) },
  ]);
}

/** The text Fabric meta adds to the installer jar as `install.properties` (fabric-meta ServerBootstrap.writePropertiesToJar). */
export const installProperties = (loader: string, game: string) => `fabric-loader-version=${loader}\ngame-version=${game}`;

/**
 * `fabric-server-launch.jar`, made the way Fabric meta makes it: the
 * installer's `-server` jar from Maven plus `install.properties` naming the
 * loader and game. Meta generates its copy on demand and its bytes change
 * whenever its cache is rebuilt, so a hash pinned on meta's URL would one day
 * refuse a correct file; the Maven jar is immutable, so building from it
 * gives the same bytes forever (entries stored, in the installer's order,
 * `install.properties` last as meta's zip filesystem appends it).
 */
export function buildLauncherJar(installerServerJar: Uint8Array, loader: string, game: string): Uint8Array {
  const entries = zipEntries(installerServerJar).filter((e) => e.name !== "install.properties");
  return storedZip([...entries, { name: "install.properties", data: new TextEncoder().encode(installProperties(loader, game)) }]);
}
