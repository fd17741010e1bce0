import { cleanLine } from "@zlh/domain";
import { PackRefusedError, readEntry, zipDirectory, type ZipDirEntry } from "./boundedZip";
import { fileDirectoryClash, packPathProblem } from "./packPaths";

/** Hosts the format lets a pack download from (Modrinth's modpack format, `downloads`). */
export const PACK_DOWNLOAD_HOSTS = ["cdn.modrinth.com", "github.com", "raw.githubusercontent.com", "gitlab.com"] as const;
/** The loaders a pack's `dependencies` may name (besides `minecraft`), as the format lists them. */
export const PACK_LOADERS = ["fabric-loader", "quilt-loader", "forge", "neoforge"] as const;
export type PackLoader = (typeof PACK_LOADERS)[number];

/** A file of `files[]` the server gets: downloaded, pinned by the pack's own hashes and size. */
export interface PackDownload {
  path: string;
  url: string;
  /** The file's further `downloads`, in the pack's order: tried when the first fails. */
  alternates?: string[];
  size: number;
  sha1: string;
  sha512: string;
}

/** A file of `overrides/` or `server-overrides/`: placed from the pack archive itself. */
export interface PackOverride {
  path: string;
  /** The archive entry it comes from (`server-overrides/...` where both folders have the path). */
  entry: string;
  size: number;
}

export interface ReadPack {
  name: string;
  /** The pack's own version (`versionId` of modrinth.index.json). */
  versionId: string;
  game: string;
  loader: { name: PackLoader; version: string };
  downloads: PackDownload[];
  overrides: PackOverride[];
  /** Paths left out: client-only files (`env.server: unsupported`), `client-overrides/`, and the platform's own files. */
  skipped: string[];
}

/**
 * What one pack may make a server hold. The zip's own bounds (PACK_ZIP_LIMITS) cap what is inflated; these cap what
 * is downloaded (files[]: declared sizes, each fetched by every host that runs the pack), placed from the archive
 * (overrides: inflated and hashed when the pack is first read), and pinned (every placed file is a manifest entry,
 * stored with the server and sent in every operation).
 */
export const PACK_LIMITS = {
  /** files[] entries placed plus overrides placed. */
  maxFiles: 5000,
  /** One files[] entry's fileSize. */
  maxFileBytes: 256 * 1024 * 1024,
  /** All placed files[] entries' fileSize together. */
  maxDownloadBytes: 2 * 1024 * 1024 * 1024,
  /** All placed overrides' sizes together. */
  maxOverrideBytes: 256 * 1024 * 1024,
  /** The pack's part of the manifest, serialized (its files' paths, URLs and hashes). */
  maxManifestBytes: 4 * 1024 * 1024,
} as const;

const INDEX = "modrinth.index.json";
/** URLs one file may list (the first, then alternates tried in order). */
const MAX_DOWNLOADS = 5;
const INDEX_MAX = 8 * 1024 * 1024;
/**
 * The platform's own files, and what they are: a pack's override of one is skipped, a download of one refused.
 * server.properties and eula.txt are written from the server's settings on every placement; the JVM's arguments
 * (user_jvm_args.txt, which NeoForge packs often ship) are the platform's, the heap set from the server's memory.
 */
const PLATFORM_OWNED = new Map([
  ["server.properties", "which the platform writes from the server's settings"],
  ["eula.txt", "which the platform writes from the server's settings"],
  ["user_jvm_args.txt", "whose JVM arguments are the platform's (the heap is set from the server's memory)"],
]);

/**
 * A `.mrpack` read to Modrinth's modpack format, as hostile input: the
 * archive through bounded reads (boundedZip), `modrinth.index.json` checked
 * field by field (formatVersion 1, game `minecraft`, every file with a safe
 * relative path, both sha1 and sha512, a size and downloads from the hosts
 * the format allows; `dependencies` naming `minecraft` and one loader), then
 * the overrides: `overrides/` and `server-overrides/` (which wins on the same
 * path), never `client-overrides/`. Files whose `env.server` is
 * `unsupported` are skipped; `optional` ones are kept (the pack's author
 * says they can run on a server, and a server has nobody to opt in).
 * Anything else is refused with a PackRefusedError saying why. The result
 * is sorted by path, so the same pack reads the same every time.
 */
export function readPack(bytes: Uint8Array): ReadPack {
  const dir = zipDirectory(bytes);
  const indexEntries = dir.filter((e) => e.name === INDEX);
  if (indexEntries.length > 1) throw new PackRefusedError(`The archive has ${INDEX} ${indexEntries.length} times.`);
  const indexEntry = indexEntries[0];
  if (!indexEntry) throw new PackRefusedError(`The archive has no ${INDEX}; it is not a Modrinth modpack.`);
  if (indexEntry.size > INDEX_MAX) throw new PackRefusedError(`${INDEX} is ${indexEntry.size} bytes; at most ${INDEX_MAX} are read.`);
  let index: Record<string, unknown>;
  try {
    index = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(readEntry(bytes, indexEntry))) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof PackRefusedError) throw err;
    throw new PackRefusedError(`${INDEX} is not valid UTF-8 JSON.`);
  }
  if (typeof index !== "object" || index === null || Array.isArray(index)) throw new PackRefusedError(`${INDEX} is not a JSON object.`);
  if (index.formatVersion !== 1) throw new PackRefusedError(`Unknown formatVersion ${JSON.stringify(index.formatVersion)}; this platform reads formatVersion 1.`);
  if (index.game !== "minecraft") throw new PackRefusedError(`The pack is for game ${JSON.stringify(index.game)}; only "minecraft" is provisioned.`);
  const name = text(index.name, "name");
  const versionId = text(index.versionId, "versionId");
  const { game, loader } = dependencies(index.dependencies);

  const seen = new Set<string>();
  const skipped: string[] = [];
  const downloads: PackDownload[] = [];
  if (!Array.isArray(index.files)) throw new PackRefusedError(`${INDEX} has no files array.`);
  if (index.files.length > PACK_LIMITS.maxFiles) throw new PackRefusedError(`The pack lists ${index.files.length} files; at most ${PACK_LIMITS.maxFiles} are placed.`);
  index.files.forEach((raw: unknown, i: number) => {
    const f = (raw ?? {}) as Record<string, unknown>;
    const path = safePath(f.path, `files[${i}].path`);
    if (seen.has(path)) throw new PackRefusedError(`The pack lists ${JSON.stringify(path)} twice.`);
    seen.add(path);
    const hashes = (f.hashes ?? {}) as Record<string, unknown>;
    hashProblem(path, "sha1", hashes.sha1, 40);
    hashProblem(path, "sha512", hashes.sha512, 128);
    if (f.fileSize === undefined) throw new PackRefusedError(`${path} has no fileSize.`);
    if (typeof f.fileSize === "number" && f.fileSize > PACK_LIMITS.maxFileBytes) throw new PackRefusedError(`${path} is ${f.fileSize} bytes; a pack file may be at most ${PACK_LIMITS.maxFileBytes}.`);
    if (!Number.isSafeInteger(f.fileSize) || (f.fileSize as number) < 0) throw new PackRefusedError(`${path} has fileSize ${JSON.stringify(f.fileSize).slice(0, 40)}; it must be a whole number of bytes, 0 or more.`);
    const env = f.env === undefined ? { server: "required" } : ((f.env ?? {}) as Record<string, unknown>);
    if (!["required", "optional", "unsupported"].includes(env.server as string)) throw new PackRefusedError(`${path} has env.server ${JSON.stringify(env.server)}; the format allows required, optional and unsupported.`);
    if (!Array.isArray(f.downloads) || f.downloads.length === 0) throw new PackRefusedError(`${path} has no downloads.`);
    if (f.downloads.length > MAX_DOWNLOADS) throw new PackRefusedError(`${path} has ${f.downloads.length} downloads; at most ${MAX_DOWNLOADS} are tried.`);
    const urls = f.downloads.map((u: unknown) => allowedUrl(u, path));
    const owned = PLATFORM_OWNED.get(path);
    if (owned) throw new PackRefusedError(`The pack downloads ${path}, ${owned}.`);
    if (env.server === "unsupported") skipped.push(path);
    else downloads.push({ path, url: urls[0]!, ...(urls.length > 1 ? { alternates: urls.slice(1) } : {}), size: f.fileSize as number, sha1: hashes.sha1, sha512: hashes.sha512 });
  });

  const overrides = new Map<string, PackOverride>();
  const layer = (prefix: string, entries: ZipDirEntry[]) => {
    const inLayer = new Set<string>();
    for (const e of entries) {
      const path = safePath(e.name.slice(prefix.length), JSON.stringify(e.name));
      if (inLayer.has(path)) throw new PackRefusedError(`The archive has ${JSON.stringify(e.name)} twice.`);
      inLayer.add(path);
      if (PLATFORM_OWNED.has(path)) {
        skipped.push(e.name);
        continue;
      }
      overrides.set(path, { path, entry: e.name, size: e.size });
    }
  };
  const files = dir.filter((e) => !e.directory);
  for (const e of dir) {
    if (e.symlink) throw new PackRefusedError(`The archive entry ${JSON.stringify(e.name)} is a symbolic link; packs may hold only files.`);
  }
  layer("overrides/", files.filter((e) => e.name.startsWith("overrides/")));
  layer("server-overrides/", files.filter((e) => e.name.startsWith("server-overrides/")));
  skipped.push(...files.filter((e) => e.name.startsWith("client-overrides/")).map((e) => e.name));
  // The format copies overrides over the downloaded files: the override wins on the same path.
  const kept = downloads.filter((d) => !overrides.has(d.path));
  const clash = fileDirectoryClash([...kept.map((d) => d.path), ...overrides.keys()]);
  if (clash) throw new PackRefusedError(`The pack places a file at ${JSON.stringify(clash[0])} and another inside it, ${JSON.stringify(clash[1])}; a path cannot be both a file and a folder.`);
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const read = { name, versionId, game, loader, downloads: kept.sort(byPath), overrides: [...overrides.values()].sort(byPath), skipped: skipped.sort() };
  withinLimits(read);
  return read;
}

/** Refuses a pack whose placed files break PACK_LIMITS, naming the limit. */
function withinLimits(pack: ReadPack): void {
  const L = PACK_LIMITS;
  const count = pack.downloads.length + pack.overrides.length;
  if (count > L.maxFiles) throw new PackRefusedError(`The pack places ${count} files (${pack.downloads.length} downloaded, ${pack.overrides.length} overrides); at most ${L.maxFiles} are placed.`);
  const downloaded = pack.downloads.reduce((n, d) => n + d.size, 0);
  if (downloaded > L.maxDownloadBytes) throw new PackRefusedError(`The pack's files are ${downloaded} bytes together; at most ${L.maxDownloadBytes} are downloaded for one pack.`);
  const overridden = pack.overrides.reduce((n, o) => n + o.size, 0);
  if (overridden > L.maxOverrideBytes) throw new PackRefusedError(`The pack's overrides are ${overridden} bytes together; at most ${L.maxOverrideBytes} are placed from the archive.`);
  // Each override also pins its sha512 (128) and the pack's URL in the manifest: counted as the serialized entry will be.
  const manifestBytes = JSON.stringify(pack.downloads).length + JSON.stringify(pack.overrides).length + pack.overrides.length * 300;
  if (manifestBytes > L.maxManifestBytes) throw new PackRefusedError(`The pack's files take ${manifestBytes} bytes of manifest; at most ${L.maxManifestBytes} are pinned for one pack.`);
}

/** The longest `name` or `versionId` kept; a longer one is cut there (ending in `…`). */
const PACK_TEXT_MAX_CHARS = 256;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A `name` or `versionId`, shown to API clients and in the console: cleaned
 * as a game's log is (cleanLine: escapes removed; control characters, tabs
 * and bidirectional overrides replaced with U+FFFD) and cut to
 * PACK_TEXT_MAX_CHARS, so a pack cannot make a panel line or a log read as
 * something else. A string that has nothing but blanks is refused.
 */
function text(v: unknown, field: string): string {
  if (typeof v !== "string" || v.trim().length === 0) throw new PackRefusedError(`${INDEX} has no ${field} (a non-empty string).`);
  // A pack's text is hostile and unbounded: only the start of it is cleaned, never megabytes of it.
  // A lone surrogate (JSON allows the escape of one) is no character, and the database's jsonb refuses it: U+FFFD as well.
  return cleanLine(v.slice(0, PACK_TEXT_MAX_CHARS + 1).replace(LONE_SURROGATE, "\ufffd").replace(/\t/g, "\ufffd"), PACK_TEXT_MAX_CHARS);
}

function dependencies(raw: unknown): { game: string; loader: ReadPack["loader"] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new PackRefusedError(`${INDEX} has no dependencies object.`);
  const deps = raw as Record<string, unknown>;
  const version = (k: string) => {
    const v = deps[k];
    if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(v)) throw new PackRefusedError(`dependencies.${k} is not a version.`);
    return v;
  };
  for (const k of Object.keys(deps)) {
    if (k !== "minecraft" && !(PACK_LOADERS as readonly string[]).includes(k)) throw new PackRefusedError(`dependencies names ${JSON.stringify(k)}; the format knows minecraft, ${PACK_LOADERS.join(", ")}.`);
  }
  if (!("minecraft" in deps)) throw new PackRefusedError("dependencies does not name the minecraft version.");
  const loaders = PACK_LOADERS.filter((l) => l in deps);
  if (loaders.length !== 1) throw new PackRefusedError(`dependencies must name exactly one loader (${PACK_LOADERS.join(", ")}); it names ${loaders.length}.`);
  return { game: version("minecraft"), loader: { name: loaders[0]!, version: version(loaders[0]!) } };
}

/** Refuses a `hashes` entry that is missing, or not `hexDigits` lowercase hexadecimal digits, saying which. */
function hashProblem(path: string, name: string, v: unknown, hexDigits: number): asserts v is string {
  if (v === undefined) throw new PackRefusedError(`${path} has no ${name} hash (the format requires sha1 and sha512).`);
  if (typeof v !== "string" || !new RegExp(`^[0-9a-f]{${hexDigits}}$`).test(v)) {
    throw new PackRefusedError(`${path} has a malformed ${name} hash ${JSON.stringify(v).slice(0, 40)}: it must be ${hexDigits} lowercase hexadecimal digits.`);
  }
}

function safePath(v: unknown, what: string): string {
  if (typeof v !== "string") throw new PackRefusedError(`${what} is not a path.`);
  const problem = packPathProblem(v);
  if (problem) throw new PackRefusedError(`${what} ${JSON.stringify(v.slice(0, 200))} ${problem}; refused.`);
  return v;
}

function allowedUrl(u: unknown, path: string): string {
  let url: URL;
  try {
    url = new URL(String(u));
  } catch {
    throw new PackRefusedError(`${path} has a download that is not a URL.`);
  }
  if (url.protocol !== "https:" || !(PACK_DOWNLOAD_HOSTS as readonly string[]).includes(url.hostname) || url.username || url.password || url.port) {
    throw new PackRefusedError(`${path} downloads from ${url.protocol}//${url.host}, which the format does not allow (https from ${PACK_DOWNLOAD_HOSTS.join(", ")}).`);
  }
  return url.href;
}
