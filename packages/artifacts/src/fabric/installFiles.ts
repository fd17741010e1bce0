import { sha512Hex } from "../hashes";
import { parseJavaManifest } from "../javaManifest";
import type { DownloadedFile, ManifestFile } from "../manifest";
import { zipEntry } from "../zip";
import { buildLaunchJar, buildLauncherJar } from "./jars";
import { classPathEntry, FABRIC_LAUNCHER_JAR, fabricLaunchJarPath, libraryPath, mavenPath } from "./layout";

export const FABRIC_MAVEN = "https://maven.fabricmc.net/";

interface MetaLibrary {
  name: string;
  url: string;
  sha1?: string;
  size?: number;
}

/** One entry of Fabric meta's `/v2/versions/loader/<game>` (see fixtures/upstream-samples). */
export interface FabricLoaderEntry {
  loader: { version: string; maven: string; stable: boolean };
  intermediary: { maven: string; version: string };
  launcherMeta: { libraries: { common?: MetaLibrary[]; server?: MetaLibrary[] }; mainClass: string | { server: string } };
}

/** A library to pin: its Maven path, URL, and what meta publishes of it (newer loaders publish sha1 and size). */
export interface FabricLibrary {
  mavenPath: string;
  url: string;
  sha1?: string;
  size?: number;
}

/**
 * The libraries a server install needs, in the order Fabric's server profile
 * lists them (meta's launcherMeta common and server libraries, then
 * intermediary, then the loader), each once; a no-op intermediary (`0.0.0`,
 * the unobfuscated 2026 games) is left out, as Fabric's own profile does.
 */
export function fabricLibraries(entry: FabricLoaderEntry): FabricLibrary[] {
  const all: MetaLibrary[] = [
    ...(entry.launcherMeta.libraries.common ?? []),
    ...(entry.launcherMeta.libraries.server ?? []),
    ...(entry.intermediary.version === "0.0.0" ? [] : [{ name: entry.intermediary.maven, url: FABRIC_MAVEN }]),
    { name: entry.loader.maven, url: FABRIC_MAVEN },
  ];
  const seen = new Set<string>();
  return all.flatMap((lib) => {
    const path = mavenPath(lib.name);
    if (seen.has(path)) return [];
    seen.add(path);
    return [{ mavenPath: path, url: `${lib.url.replace(/\/?$/, "/")}${path}`, sha1: lib.sha1, size: lib.size }];
  });
}

/** The loader's server main class as meta names it (`launch.mainClass` of the launch jar). */
export function fabricServerMainClass(entry: FabricLoaderEntry): string | null {
  const main = entry.launcherMeta.mainClass;
  return (typeof main === "string" ? main : main?.server) || null;
}

/** The installer's fallback when a loader jar names no Main-Class (ServerInstaller). */
const DEFAULT_LAUNCH_MAIN_CLASS = "net.fabricmc.loader.launch.server.FabricServerLauncher";

/** The loader jar's Main-Class, which the installer copies into the launch jar. Throws on what is not a jar. */
export function loaderJarMainClass(loaderJar: Uint8Array): string {
  const mf = zipEntry(loaderJar, "META-INF/MANIFEST.MF");
  return (mf && parseJavaManifest(new TextDecoder().decode(mf)).get("Main-Class")) || DEFAULT_LAUNCH_MAIN_CLASS;
}

export interface FabricInstallInputs {
  game: string;
  loader: string;
  /** fabricLibraries(entry), each with its pinned size and hashes. */
  libraries: (FabricLibrary & { size: number; sha512: string; sha1: string })[];
  mainClass: string;
  launchMainClass: string;
  /** The installer's Maven `-server` jar, pinned, with its bytes. */
  installer: { url: string; size: number; sha512: string; sha1: string; bytes: Uint8Array };
}

/**
 * Every Fabric file of a complete install, as the launcher would leave it
 * after installing (packages/artifacts/src/fabric/launcherDecision.ts): the
 * libraries under `libraries/`, the launch jar naming them, and the launcher
 * jar; the vanilla jar is Mojang's. Pure, so the control plane's resolver and
 * the test fixtures build the same manifest from the same inputs.
 */
export function fabricInstallFiles(i: FabricInstallInputs): ManifestFile[] {
  const libraries: DownloadedFile[] = i.libraries.map((l) => ({ path: libraryPath(l.mavenPath), url: l.url, kind: "library", size: l.size, sha512: l.sha512, sha1: l.sha1 }));
  const launch = { mainClass: i.mainClass, launchMainClass: i.launchMainClass, classPath: i.libraries.map((l) => classPathEntry(l.mavenPath)) };
  const launchJar = buildLaunchJar(launch);
  const launcherJar = buildLauncherJar(i.installer.bytes, i.loader, i.game);
  const { bytes: _bytes, ...installer } = i.installer;
  return [
    ...libraries,
    { path: fabricLaunchJarPath(i.loader, i.game), kind: "launch", size: launchJar.byteLength, sha512: sha512Hex(launchJar), build: launch },
    { path: FABRIC_LAUNCHER_JAR, kind: "launcher", size: launcherJar.byteLength, sha512: sha512Hex(launcherJar), build: { installer, loader: i.loader, game: i.game } },
  ];
}
