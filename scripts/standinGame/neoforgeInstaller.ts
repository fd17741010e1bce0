import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { mirrorSource, OFFLINE_MIRROR_DIR, storedZip, type ZipEntry } from "@zlh/artifacts";

const run = promisify(execFile);
const SOURCES = resolve(import.meta.dirname, "../../tools/standin-neoforge");
const text = (s: string) => new TextEncoder().encode(s);
const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");

let compiled: Promise<{ installer: ZipEntry[]; installertools: ZipEntry[] }> | undefined;

/** The stand-in installer's and installertools' classes, compiled once per process with the machine's javac (never committed). */
function classes(): Promise<{ installer: ZipEntry[]; installertools: ZipEntry[] }> {
  compiled ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "zlh-neoforge-standin-"));
    try {
      const out: Record<string, ZipEntry[]> = {};
      for (const part of ["installer", "installertools"]) {
        const sources = (await readdir(join(SOURCES, part))).filter((f) => f.endsWith(".java")).map((f) => join(SOURCES, part, f));
        await run("javac", ["--release", "17", "-d", join(dir, part), ...sources], { timeout: 120_000 });
        // By their path in the jar: the installer's PostProcessors is in its package's directory, as in the real jar.
        const names = (await readdir(join(dir, part), { recursive: true })).filter((f) => f.endsWith(".class")).sort();
        out[part] = await Promise.all(names.map(async (name) => ({ name, data: new Uint8Array(await readFile(join(dir, part, name))) })));
      }
      return { installer: out.installer!, installertools: out.installertools! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return compiled;
}

const manifest = (mainClass: string): ZipEntry => ({ name: "META-INF/MANIFEST.MF", data: text(`Manifest-Version: 1.0\r\nMain-Class: ${mainClass}\r\n\r\n`) });

export const STANDIN_INSTALLERTOOLS = "net.neoforged.installertools:installertools:2.1.2";
const INSTALLERTOOLS_PATH = "net/neoforged/installertools/installertools/2.1.2/installertools-2.1.2.jar";
const MAVEN = "https://maven.neoforged.net/releases/";
/** The NeoForm build in the mappings' coordinate, as 21.1.226's profile names it (`net.minecraft:server:1.21.1-20240808.144430:mappings@txt`). */
const NEOFORM = "20240808.144430";
/** The real installer's class holding the mojmaps skip line, at its path in the jar (and the stand-in's). */
const POST_PROCESSORS = "net/minecraftforge/installer/actions/PostProcessors.class";
const MOJMAPS_SKIP = "Skipping mojmaps download due to local cache hit.";

/** Stand-in bytes for Mojang's server mappings of `game` (ProGuard's format, as Mojang's `server.txt`). */
export const standinServerMappings = (game: string) => text(`# stand-in for Mojang's server mappings of Minecraft ${game}\nnet.minecraft.server.Main -> net.minecraft.server.Main:\n`);
/** Where Mojang would publish `mappings` (piston-data, by sha1) and what its version JSON says of them (`downloads.server_mappings`). */
export const mojangMappingsDownload = (mappings: Uint8Array) => ({ sha1: hex("sha1", mappings), size: mappings.byteLength, url: `https://piston-data.mojang.com/v1/objects/${hex("sha1", mappings)}/server.txt` });

export interface StandinNeoforge {
  version: string;
  game: string;
  /** The installer jar: the stand-in installer with its install_profile.json, version.json, data/ and maven/. */
  installer: Uint8Array;
  /** Libraries the installer expects pre-placed (fetched from upstream by url), with their bytes. */
  libraries: { path: string; url: string; bytes: Uint8Array }[];
  /** What unix_args.txt holds. */
  unixArgs: string;
}

/**
 * A NeoForge installer as maven.neoforged.net publishes one, laid out as
 * the real one (install_profile.json spec 1, version.json, data/ with the
 * run scripts and args files, maven/ with NeoForge's own universal jar),
 * run by the stand-in installer (tools/standin-neoforge). Its server
 * processors are real installertools tasks: EXTRACT_FILES (run.sh,
 * user_jvm_args.txt, unix_args.txt), BUNDLER_EXTRACT (the game jar out
 * of Mojang's bundler, an output pinned by sha1) and, as in the real
 * profile (fixtures/upstream-samples/neoforge/21.1.226-install_profile.json),
 * DOWNLOAD_MOJMAPS for every side: it needs the network unless the
 * installer finds Mojang's server mappings in its local source (then it
 * copies them to {MOJMAPS} and skips it). `mojangInner` is the jar
 * inside Mojang's bundler (its sha1 is that output's).
 * `predatesOfflineMappings`: an installer built before LegacyInstaller had
 * that skip, its PostProcessors class without the line.
 * `withoutMojmaps`: a profile with no DOWNLOAD_MOJMAPS step (a game
 * Mojang publishes no mappings for).
 */
export async function buildStandinNeoforge(opts: {
  version: string;
  game: string;
  mojangInner: Uint8Array;
  omitLibrary?: boolean;
  serverJarPath?: string;
  predatesOfflineMappings?: boolean;
  withoutMojmaps?: boolean;
  /** The size version.json declares for the loader library instead of its own (a hostile profile's). */
  loaderDeclaredSize?: number;
}): Promise<StandinNeoforge> {
  const { version, game } = opts;
  const cls = await classes();
  const installertools = storedZip([manifest("InstallerTools"), ...cls.installertools]);
  const loader = storedZip([manifest("net.neoforged.fml.loading.FMLLoader"), { name: "fml.txt", data: text("fancymodloader 4.0.24\n") }]);
  const universal = storedZip([{ name: "META-INF/MANIFEST.MF", data: text("Manifest-Version: 1.0\r\n\r\n") }, { name: "neoforge.txt", data: text(`neoforge ${version}\n`) }]);
  // BootstrapLauncher's class is there by name, as the JVM looks for it; its bytes are not a class (nothing here runs NeoForge).
  const bootstrap = storedZip([{ name: "META-INF/MANIFEST.MF", data: text("Manifest-Version: 1.0\r\n\r\n") }, { name: "cpw/mods/bootstraplauncher/BootstrapLauncher.class", data: text("stand-in") }]);
  const bootstrapPath = "cpw/mods/bootstraplauncher/2.0.2/bootstraplauncher-2.0.2.jar";
  const loaderPath = "net/neoforged/fancymodloader/loader/4.0.24/loader-4.0.24.jar";
  const universalPath = `net/neoforged/neoforge/${version}/neoforge-${version}-universal.jar`;
  const lib = (name: string, path: string, bytes: Uint8Array) => ({ name, downloads: { artifact: { path, url: `${MAVEN}${path}`, sha1: hex("sha1", bytes), size: bytes.byteLength } } });
  const withSize = (l: ReturnType<typeof lib>, size?: number) => (size === undefined ? l : { ...l, downloads: { artifact: { ...l.downloads.artifact, size } } });
  const unpackedPath = `net/minecraft/server/${game}/server-${game}-unpacked.jar`;
  const unixArgs = [
    "-DlibraryDirectory=libraries",
    `-p libraries/${bootstrapPath}:libraries/${loaderPath}`,
    "--add-modules ALL-MODULE-PATH",
    "--add-opens java.base/java.util.jar=cpw.mods.securejarhandler",
    `-DlegacyClassPath=libraries/${universalPath}:libraries/${unpackedPath}`,
    "cpw.mods.bootstraplauncher.BootstrapLauncher",
    "--launchTarget forgeserver",
    `--fml.neoForgeVersion ${version}`,
    `--fml.mcVersion ${game}`,
    "",
  ].join("\n");
  const argsDir = `{ROOT}/libraries/net/neoforged/neoforge/${version}`;
  const profile = {
    spec: 1,
    profile: "NeoForge",
    version: `neoforge-${version}`,
    minecraft: game,
    json: "/version.json",
    serverJarPath: opts.serverJarPath ?? "{LIBRARY_DIR}/net/minecraft/server/{MINECRAFT_VERSION}/server-{MINECRAFT_VERSION}.jar",
    data: {
      MC_UNPACKED: { client: `[net.minecraft:client:${game}:unpacked]`, server: `[net.minecraft:server:${game}:unpacked]` },
      MOJMAPS: { client: `[net.minecraft:client:${game}-${NEOFORM}:mappings@txt]`, server: `[net.minecraft:server:${game}-${NEOFORM}:mappings@txt]` },
    },
    processors: [
      {
        sides: ["server"],
        jar: STANDIN_INSTALLERTOOLS,
        classpath: [],
        args: [
          "--task", "EXTRACT_FILES", "--archive", "{INSTALLER}",
          "--from", "data/run.sh", "--to", "{ROOT}/run.sh", "--exec", "{ROOT}/run.sh",
          "--from", "data/user_jvm_args.txt", "--to", "{ROOT}/user_jvm_args.txt", "--optional", "{ROOT}/user_jvm_args.txt",
          "--from", "data/unix_args.txt", "--to", `${argsDir}/unix_args.txt`,
        ],
      },
      { sides: ["server"], jar: STANDIN_INSTALLERTOOLS, classpath: [], args: ["--task", "BUNDLER_EXTRACT", "--input", "{MINECRAFT_JAR}", "--output", "{MC_UNPACKED}", "--jar-only"], outputs: { "{MC_UNPACKED}": hex("sha1", opts.mojangInner) } },
      // No sides: run on a server install too, as the real profile's (skipped only when the installer finds the mappings locally).
      ...(opts.withoutMojmaps ? [] : [{ jar: STANDIN_INSTALLERTOOLS, classpath: [], args: ["--task", "DOWNLOAD_MOJMAPS", "--version", game, "--side", "{SIDE}", "--output", "{MOJMAPS}"] }]),
    ],
    libraries: [lib(STANDIN_INSTALLERTOOLS, INSTALLERTOOLS_PATH, installertools)],
  };
  const versionJson = {
    id: `neoforge-${version}`,
    inheritsFrom: game,
    mainClass: "cpw.mods.bootstraplauncher.BootstrapLauncher",
    libraries: [lib("cpw.mods:bootstraplauncher:2.0.2", bootstrapPath, bootstrap), withSize(lib("net.neoforged.fancymodloader:loader:4.0.24", loaderPath, loader), opts.loaderDeclaredSize), lib(`net.neoforged:neoforge:${version}:universal`, universalPath, universal)],
  };
  const installer = storedZip([
    manifest("StandinInstaller"),
    ...cls.installer.map((c) => (c.name === POST_PROCESSORS && opts.predatesOfflineMappings ? { name: c.name, data: withoutSkipLine(c.data) } : c)),
    { name: "install_profile.json", data: text(JSON.stringify(profile, null, 2)) },
    { name: "version.json", data: text(JSON.stringify(versionJson, null, 2)) },
    { name: "data/run.sh", data: text(`#!/usr/bin/env sh\njava @user_jvm_args.txt @libraries/net/neoforged/neoforge/${version}/unix_args.txt "$@"\n`) },
    { name: "data/user_jvm_args.txt", data: text("# Xmx and Xms set the maximum and minimum RAM usage, respectively.\n") },
    { name: "data/unix_args.txt", data: text(unixArgs) },
    { name: `maven/${universalPath}`, data: universal },
  ]);
  const libraries = [
    { path: INSTALLERTOOLS_PATH, url: `${MAVEN}${INSTALLERTOOLS_PATH}`, bytes: installertools },
    { path: bootstrapPath, url: `${MAVEN}${bootstrapPath}`, bytes: bootstrap },
    ...(opts.omitLibrary ? [] : [{ path: loaderPath, url: `${MAVEN}${loaderPath}`, bytes: loader }]),
  ];
  return { version, game, installer, libraries, unixArgs };
}

/**
 * The class with its skip line's constant replaced by one of the same
 * length (the constant pool's UTF-8 entry keeps its size: still a valid
 * class), as an installer from before the skip has none.
 */
function withoutSkipLine(cls: Uint8Array): Uint8Array {
  const line = text(MOJMAPS_SKIP);
  const at = Buffer.from(cls).indexOf(Buffer.from(line));
  if (at < 0) throw new Error(`the stand-in's ${POST_PROCESSORS} has no "${MOJMAPS_SKIP}"`);
  const out = new Uint8Array(cls);
  out.set(text("x".repeat(line.byteLength)), at);
  return out;
}

/**
 * NeoForge's Maven as it serves builds, by URL: maven-metadata.xml listing
 * `listed` (Maven's shape), and for each stand-in build its installer, the
 * installer's `.sha256` (hex, as NeoForge's Maven publishes it) and its
 * libraries. For a mirror directory (mirrorPath) or an in-memory source.
 */
export function neoforgeMavenFiles(builds: StandinNeoforge[], listed: string[]): [string, Uint8Array][] {
  const base = `${MAVEN}net/neoforged/neoforge`;
  const versions = listed.map((v) => `      <version>${v}</version>`).join("\n");
  const out: [string, Uint8Array][] = [
    [`${base}/maven-metadata.xml`, text(`<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n  <groupId>net.neoforged</groupId>\n  <artifactId>neoforge</artifactId>\n  <versioning>\n    <versions>\n${versions}\n    </versions>\n  </versioning>\n</metadata>\n`)],
  ];
  for (const b of builds) {
    const installer = `${base}/${b.version}/neoforge-${b.version}-installer.jar`;
    out.push([installer, b.installer], [`${installer}.sha256`, text(hex("sha256", b.installer))]);
    for (const l of b.libraries) out.push([l.url, l.bytes]);
  }
  return out;
}

/** The game's jar inside Mojang's bundler for `game`, as the offline mirror serves it: what a stand-in install's BUNDLER_EXTRACT yields. */
export async function mirroredMojangInner(game: string): Promise<Uint8Array> {
  const source = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  const manifest = await source.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await source.fetchJson<{ downloads: { server: { url: string } } }>(manifest.versions.find((v) => v.id === game)!.url);
  const inner = unzipSync(await source.fetchBytes(version.downloads.server.url))[`META-INF/versions/${game}/server-${game}.jar`];
  if (!inner) throw new Error(`the offline mirror's ${game} server jar is not a bundler`);
  return inner;
}
