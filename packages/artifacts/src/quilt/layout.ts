import { renderJavaManifest } from "../javaManifest";
import { storedZip } from "../zip";

/**
 * A Quilt server as QuiltMC/quilt-installer's InstallServer leaves it, and as
 * Quilt Loader's QuiltServerLauncher looks for it, relative to the server
 * directory: the launch jar `quilt-server-launch.jar` (a manifest only: its
 * Main-Class and a Class-Path naming every library), the libraries under
 * `libraries/`, and Mojang's jar at `server.jar` (the launcher's default
 * when `quilt-server-launcher.properties` names no `serverJar`).
 */
export const QUILT_LAUNCHER_JAR = "quilt-server-launch.jar";
export const QUILT_SERVER_JAR = "server.jar";
export const QUILT_LAUNCHER_PROPERTIES = "quilt-server-launcher.properties";
export const QUILT_MAVEN = "https://maven.quiltmc.org/repository/release/";

/**
 * `group:artifact:version[:classifier]` -> `libraries/<group path>/<artifact>/<version>/<artifact>-<version>.jar`,
 * as the installer's splitArtifact does it: a classifier is ignored.
 */
export function quiltLibraryPath(name: string): string {
  const [group, artifact, version] = name.split(":", 4);
  if (!group || !artifact || !version) throw new Error(`not a Maven coordinate: ${name}`);
  return `libraries/${group.replaceAll(".", "/")}/${artifact}/${version}/${artifact}-${version}.jar`;
}

/** What the installer writes into the launch jar (InstallServer.createLaunchJar). */
export interface QuiltLaunchJarRecipe {
  /** The server json's `launcherMainClass` (QuiltServerLauncher). */
  mainClass: string;
  /** The libraries, relative to the server directory (the jar's own folder), in the server json's order. */
  classPath: string[];
}

/**
 * `quilt-server-launch.jar` as the installer makes it: one entry, its
 * manifest (Manifest-Version, Main-Class, Class-Path). Stored with fixed
 * timestamps so its bytes, and so its pinned sha512, are the same wherever it
 * is built. The installer lists the libraries in the order its download
 * futures come out of a HashSet; the JVM only needs them all there, so the
 * server json's order is kept.
 */
export function buildQuiltLaunchJar(r: QuiltLaunchJarRecipe): Uint8Array {
  const manifest = renderJavaManifest([
    ["Main-Class", r.mainClass],
    ["Class-Path", r.classPath.join(" ")],
  ]);
  return storedZip([{ name: "META-INF/MANIFEST.MF", data: new TextEncoder().encode(manifest) }]);
}
