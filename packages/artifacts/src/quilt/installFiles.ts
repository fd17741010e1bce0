import { sha512Hex } from "../hashes";
import type { DownloadedFile, ManifestFile } from "../manifest";
import { buildQuiltLaunchJar, QUILT_LAUNCHER_JAR, quiltLibraryPath } from "./layout";

/** A library of Quilt meta's server json (`/v3/versions/loader/<game>/<loader>/server/json`): a Maven name and its repository. */
export interface QuiltServerLibrary {
  name: string;
  url: string;
}

/** Quilt meta's server launch profile (update-quilt-meta Main.populateProfiles, side `server`), as far as a server install reads it. */
export interface QuiltServerJson {
  id?: string;
  mainClass?: string;
  launcherMainClass?: string;
  libraries?: QuiltServerLibrary[];
}

/** The URL the installer downloads a library from: the repository, then the Maven path (InstallServer.mavenToUrl). */
export const quiltLibraryUrl = (lib: QuiltServerLibrary) => `${lib.url}${quiltLibraryPath(lib.name).slice("libraries/".length)}`;

export interface QuiltInstallInputs {
  /** The server json's `launcherMainClass`. */
  mainClass: string;
  /** Each library of the server json once (by path), pinned. */
  libraries: { path: string; url: string; size: number; sha512: string; sha1: string }[];
}

/**
 * Every Quilt file of a complete server install, as quilt-installer's
 * InstallServer leaves it: the libraries under `libraries/`, and
 * `quilt-server-launch.jar` naming them (a built file, reproducible, so
 * pinned by size and sha512 like a download). Mojang's jar is the
 * resolver's. Pure, so the control plane and the test fixtures build the
 * same manifest from the same inputs.
 */
export function quiltInstallFiles(i: QuiltInstallInputs): ManifestFile[] {
  const libraries: DownloadedFile[] = i.libraries.map((l) => ({ path: l.path, url: l.url, kind: "library", size: l.size, sha512: l.sha512, sha1: l.sha1 }));
  const build = { mainClass: i.mainClass, classPath: i.libraries.map((l) => l.path) };
  const launchJar = buildQuiltLaunchJar(build);
  return [...libraries, { path: QUILT_LAUNCHER_JAR, kind: "quiltLaunch", size: launchJar.byteLength, sha512: sha512Hex(launchJar), build }];
}
