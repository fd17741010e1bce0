import { posix } from "node:path";
import { sql } from "drizzle-orm";
import { ArtifactNotFoundError, downloadsMojmaps, InstallerRefusedError, installerSkipsLocalMojmaps, readInstallProfile, zipDirectory, neoforgeArgFiles, neoforgeLaunchDecision, INSTALLER_ZIP_LIMITS, type ArtifactSource, type DownloadedFile } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { fetchBounded, fetchPinned, HASH_FILE_MAX_BYTES } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import type { MojangDownload } from "../fabric/mojang";
import { readProducedTree, TreeRefusedError } from "./producedTree";
import { serverJarPathOf } from "./serverJar";
import { installOnce, type InstallWait } from "./installOnce";
import { installerJava } from "./installerJava";
import { INSTALLER_SPACE_BYTES, InstallerFailedError, runInstaller, SandboxUnavailableError } from "./runInstaller";

export const NEOFORGE_MAVEN = "https://maven.neoforged.net/releases/";
export const neoforgeInstallerUrl = (v: string) => `${NEOFORGE_MAVEN}net/neoforged/neoforge/${v}/neoforge-${v}-installer.jar`;
/** NeoForge's installer jar is megabytes, not tens of them: a source sending more than this is cut off there, never held whole. */
export const INSTALLER_MAX_BYTES = 64 * 1024 * 1024;

/** One file of a pinned install: from upstream (`url`: a library, Mojang's jar or mappings, placed as is) or made by the installer (stored in neoforge_files). */
export interface InstalledFile {
  path: string;
  size: number;
  sha512: string;
  sha1: string;
  url?: string;
}

export interface NeoforgeInstall {
  game: string;
  version: string;
  installerSha512: string;
  files: InstalledFile[];
}

/** How the installer is run: the real runner, or a wrapper of it (a test counting runs). */
export type InstallerRunner = typeof runInstaller;

export interface NeoforgeInstallOptions {
  game: string;
  version: string;
  mojang: DownloadedFile;
  /**
   * Mojang's server mappings (`downloads.server_mappings`) for the game, or
   * null where Mojang publishes none (the unobfuscated 26.1 on): given to
   * the installer's DOWNLOAD_MOJMAPS step, required only where its profile has one.
   */
  mappings: MojangDownload | null;
  /** The Java major the game needs (Mojang's javaVersion): the installer's java must be at least it. */
  javaMajor: number;
  /** ZLH_NEOFORGE_JAVA: the java that runs the installer (a path, or a name on PATH); `java` when not given. */
  java?: string;
  /** ZLH_NEOFORGE_INSTALLER_MEMORY_BYTES: the run's memory bound (runInstaller's default when not given; 0: none but its heap's). */
  memoryBytes?: number;
  run?: InstallerRunner;
  wait?: InstallWait;
}

/**
 * The pinned install of NeoForge `version` for `game`, made once: the first
 * resolution runs the installer (runInstaller) and records every file it
 * left (`neoforge_installs`, the installer-made ones' bytes in
 * `neoforge_files`); every later one, in any process, reads that row.
 * Concurrent first resolutions take turns at an advisory lock of (game,
 * version) and re-read under it, waiting for another's install with no
 * connection held (installOnce.ts), so the installer runs once, one at a
 * time in a process, and every server of that pair places the same bytes.
 */
export async function neoforgeInstall(db: Db, source: ArtifactSource, opts: NeoforgeInstallOptions): Promise<NeoforgeInstall> {
  return installOnce(
    db,
    `zlh:neoforge:${opts.game}:${opts.version}`,
    `NeoForge ${opts.version} for Minecraft ${opts.game}`,
    {
      recorded: (d) => recorded(d, opts.game, opts.version),
      install: async (tx) => {
        const made = await install(db, source, opts);
        for (const f of made.stored) {
          // A file already stored (another build made the same bytes) is renewed: the retention sweep, which removes files no
          // install lists, waits on this row until the commit and then keeps it (jobs/handlers/neoforgeSweep.ts).
          await tx.execute(sql`insert into neoforge_files (sha512, size, data) values (${f.sha512}, ${f.size}, ${Buffer.from(f.bytes)}) on conflict (sha512) do update set used_at = now()`);
        }
        await tx.execute(sql`insert into neoforge_installs (game, neoforge_version, installer_sha512, files)
          values (${opts.game}, ${opts.version}, ${made.install.installerSha512}, ${JSON.stringify(made.install.files)}::jsonb)`);
        return made.install;
      },
    },
    opts.wait,
  );
}

async function recorded(db: Db, game: string, version: string): Promise<NeoforgeInstall | null> {
  const [row] = await db.execute<{ installer_sha512: string; files: InstalledFile[] }>(sql`select installer_sha512, files from neoforge_installs where game = ${game} and neoforge_version = ${version}`);
  return row ? { game, version, installerSha512: row.installer_sha512, files: row.files } : null;
}

/**
 * One run: first the java that will run it checked to be new enough for
 * the game (installerJava.ts), before anything is fetched; then the installer pinned by the sha256 NeoForge's Maven publishes
 * beside it (`.sha256`), its profile read and checked against the build
 * asked for, every library it would download fetched here (by its sha1 and
 * size) and pre-placed with Mojang's jar at serverJarPath and, only
 * where the profile runs DOWNLOAD_MOJMAPS on the server (mojmapsFor),
 * Mojang's server mappings where the installer looks for them (localMappingsPath),
 * then the run, then the tree: a file that is a pre-placed one with the
 * same hash keeps its upstream url (the mappings wherever the installer
 * copied them); every other is the installer's own and is stored.
 */
async function install(db: Db, source: ArtifactSource, opts: NeoforgeInstallOptions) {
  const java = await installerJava(opts.java ?? "java", opts.javaMajor, `NeoForge ${opts.version} for Minecraft ${opts.game}`);
  const url = neoforgeInstallerUrl(opts.version);
  const published = await publishedDigest(source, url);
  const installer = await fetchPinned(db, source, url, { hash: { ...published, by: "NeoForge's Maven" } }, INSTALLER_MAX_BYTES);
  let profile: ReturnType<typeof readInstallProfile>;
  try {
    profile = readInstallProfile(installer.bytes);
  } catch (err) {
    if (err instanceof InstallerRefusedError) throw new ResolutionError(err.message);
    throw err;
  }
  if (profile.version !== opts.version || profile.minecraft !== opts.game) {
    throw new ResolutionError(`the NeoForge ${opts.version} installer installs neoforge ${profile.version} for Minecraft ${profile.minecraft}, not for ${opts.game}; refused.`);
  }
  const needed = profile.processors.some(downloadsMojmaps) ? mojmapsFor(installer.bytes, opts) : null;
  const inInstaller = new Set(zipDirectory(installer.bytes, INSTALLER_ZIP_LIMITS).map((e) => e.name));
  const upstream = new Map<string, { url: string; sha512: string }>();
  const preplaced: { path: string; bytes: Uint8Array }[] = [];
  const fetched = profile.libraries.filter((lib) => lib.url && !inInstaller.has(`maven/${lib.path}`)); // the rest the installer copies out of itself
  // Each download is read up to the size the profile declares (upstream's word) and held until it is placed: what
  // cannot fit the installer's work space anyway is refused before anything is fetched, so a hostile profile cannot
  // make the control plane hold gigabytes.
  const declared = installer.bytes.byteLength + opts.mojang.size + (needed?.size ?? 0) + fetched.reduce((n, lib) => n + lib.size, 0);
  if (declared > INSTALLER_SPACE_BYTES) {
    throw new ResolutionError(`the NeoForge ${opts.version} installer, its libraries and Mojang's jar and mappings are ${declared} bytes together, more than its work space (${INSTALLER_SPACE_BYTES} bytes) holds; refused before any was downloaded.`);
  }
  for (const lib of fetched) {
    const got = await fetchPinned(db, source, lib.url!, { sha1: lib.sha1, size: lib.size });
    preplaced.push({ path: `libraries/${lib.path}`, bytes: got.bytes });
    upstream.set(`libraries/${lib.path}`, { url: lib.url!, sha512: got.digest.sha512 });
  }
  const serverJar = serverJarPathOf(profile.serverJarPath, opts.game, profile.libraries.map((l) => l.path));
  const mojang = await fetchPinned(db, source, opts.mojang.url, { sha1: opts.mojang.sha1, size: opts.mojang.size });
  preplaced.push({ path: serverJar, bytes: mojang.bytes });
  upstream.set(serverJar, { url: opts.mojang.url, sha512: mojang.digest.sha512 });
  // The profile's DOWNLOAD_MOJMAPS processor (every side) would fetch Mojang's version manifest, which the sandbox cannot
  // reach; the installer skips it when it finds the mappings in its local source, copying them to {MOJMAPS} instead.
  const mappings = needed ? await fetchPinned(db, source, needed.url, { sha1: needed.sha1, size: needed.size }) : null;
  const local = mappings ? [{ path: localMappingsPath(opts.game), bytes: mappings.bytes }] : [];

  let run: Awaited<ReturnType<InstallerRunner>>;
  try {
    // By the real path checked above: the java checked is the java run, whatever PATH says meanwhile.
    run = await (opts.run ?? runInstaller)({ installer: installer.bytes, installerName: `neoforge-${opts.version}-installer.jar`, preplaced, local, java, memoryBytes: opts.memoryBytes });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw err; // retried: the machine, not the build
    if (err instanceof InstallerFailedError) throw new ResolutionError(err.message);
    throw err;
  }
  try {
    // The tree is walked first (no link followed, no FIFO opened, bounded), and the launch is decided over what
    // the walk read, never by opening paths the installer's args files name: those could point anywhere
    // (`../../etc/shadow`, /dev/zero) and the decision runs outside the sandbox, as the control plane.
    const tree = await readProducedTree(run.serverDir).catch((err) => {
      throw err instanceof TreeRefusedError ? new ResolutionError(err.message) : err;
    });
    const byPath = new Map(tree.map((f) => [f.path, f.bytes]));
    // What the server will start with must start: refused here, once, rather than at every first boot.
    const launch = await neoforgeLaunchDecision(run.serverDir, neoforgeArgFiles(opts.version), async (p) => byPath.get(posix.normalize(p)) ?? null);
    if (!launch.launches) throw new ResolutionError(`the NeoForge ${opts.version} install would not start: ${launch.reason}`);
    const files: InstalledFile[] = [];
    const stored: { sha512: string; size: number; bytes: Uint8Array }[] = [];
    for (const f of tree) {
      const from = upstream.get(f.path) ?? (needed && f.sha512 === mappings?.digest.sha512 ? { url: needed.url, sha512: f.sha512 } : undefined);
      if (from && from.sha512 === f.sha512) files.push({ path: f.path, size: f.size, sha512: f.sha512, sha1: f.sha1, url: from.url });
      else {
        files.push({ path: f.path, size: f.size, sha512: f.sha512, sha1: f.sha1 });
        stored.push(f);
      }
    }
    return { install: { game: opts.game, version: opts.version, installerSha512: installer.digest.sha512, files }, stored };
  } finally {
    await run.dispose();
  }
}

/**
 * The mappings a profile's server-side DOWNLOAD_MOJMAPS step needs, or a
 * refusal before anything is fetched or run: the game has none, or the
 * installer would not take them from its local source (built before
 * LegacyInstaller's skip) and so would download them, which no sandboxed
 * install can; that is the build's age, not a failed install.
 */
function mojmapsFor(installer: Uint8Array, opts: NeoforgeInstallOptions): MojangDownload {
  const what = `the NeoForge ${opts.version} installer runs DOWNLOAD_MOJMAPS on a server install`;
  if (!opts.mappings) throw new ResolutionError(`${what}, but Minecraft ${opts.game} has no server mappings (downloads.server_mappings); refused.`);
  let skips: boolean;
  try {
    skips = installerSkipsLocalMojmaps(installer);
  } catch (err) {
    if (err instanceof InstallerRefusedError) throw new ResolutionError(err.message);
    throw err;
  }
  if (!skips) throw new ResolutionError(`${what} and predates offline mappings (LegacyInstaller before 2024-04-12): it would download Mojang's mappings, which its sandbox cannot; choose a newer NeoForge build.`);
  return opts.mappings;
}

/**
 * Where neoforged/LegacyInstaller looks for a game's server mappings in its
 * local source before running DOWNLOAD_MOJMAPS (PostProcessors.process:
 * `"minecraft/" + profile.getMinecraft() + "/" + SIDE + "_mappings.txt"`),
 * relative to that source's root (runInstaller's `local`).
 */
const localMappingsPath = (game: string) => `minecraft/${game}/server_mappings.txt`;

/**
 * What NeoForge's Maven publishes beside a file: `<file>.sha256`, or, where
 * an older build has none, `<file>.sha1` (Maven's own checksum); each the
 * hex digest, optionally followed by the file name. Neither is a refusal.
 */
async function publishedDigest(source: ArtifactSource, url: string): Promise<{ algorithm: "sha256" | "sha1"; hex: string }> {
  for (const algorithm of ["sha256", "sha1"] as const) {
    let body: Uint8Array;
    try {
      body = await fetchBounded(source, `${url}.${algorithm}`, HASH_FILE_MAX_BYTES);
    } catch (err) {
      if (err instanceof ArtifactNotFoundError) continue;
      throw err;
    }
    const hex = new TextDecoder().decode(body.subarray(0, 200)).trim().split(/\s+/)[0]?.toLowerCase() ?? "";
    if (!new RegExp(`^[0-9a-f]{${algorithm === "sha256" ? 64 : 40}}$`).test(hex)) throw new ResolutionError(`NeoForge's Maven publishes an unreadable ${algorithm} for ${url}; refused.`);
    return { algorithm, hex };
  }
  throw new ResolutionError(`NeoForge's Maven publishes no sha256 or sha1 for ${url}; refused.`);
}
