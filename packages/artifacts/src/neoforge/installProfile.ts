import { PackRefusedError, readEntry, zipDirectory, type ZipLimits } from "../mrpack/boundedZip";

/** An installer is a few MiB holding the profile, a few data files and NeoForge's own jars; more is not an installer. */
export const INSTALLER_ZIP_LIMITS: ZipLimits = { maxEntries: 5_000, maxEntryBytes: 128 * 1024 * 1024, maxTotalBytes: 512 * 1024 * 1024, maxRatio: 200 };
/** install_profile.json and version.json are tens of KiB. */
export const MAX_PROFILE_JSON_BYTES = 4 * 1024 * 1024;
/** NeoForge 21.1 lists about 60 server libraries and a handful of processors. */
const MAX_LIBRARIES = 1_000;
const MAX_PROCESSORS = 100;

/** Why an installer's inputs were refused: its message is the customer's (a resolution failure). */
export class InstallerRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InstallerRefusedError";
  }
}

/** A library the installer needs in `libraries/`: pre-placed from upstream by `url` (checked by sha1 and size), or, with no url, inside the installer's `maven/`. */
export interface InstallerLibrary {
  name: string;
  /** Relative to `libraries/`, checked safe. */
  path: string;
  url: string;
  sha1: string;
  size: number;
}

export interface InstallerProcessor {
  jar: string;
  classpath: string[];
  args: string[];
  /** Absent: every side. */
  sides?: string[];
}

export interface InstallProfile {
  /** The NeoForge version (`version` is `neoforge-<v>`). */
  version: string;
  minecraft: string;
  /** With `{LIBRARY_DIR}` and `{MINECRAFT_VERSION}` tokens, as the installer reads it. */
  serverJarPath: string;
  /** The profile's and version.json's libraries, deduplicated by path: what the installer downloads unless it finds them. */
  libraries: InstallerLibrary[];
  /** The processors that run on a server install (`sides` absent or naming `server`). */
  processors: InstallerProcessor[];
  /** The profile's data for the server side (`[coordinate]`, `'literal'` or an installer entry), as the processors' tokens. */
  data: Record<string, string>;
  /** version.json's main class: the launch's, for checking the produced args file. */
  mainClass: string;
}

/** Upstream hosts the installer's libraries may come from (NeoForge's Maven, Mojang's libraries). */
const LIBRARY_HOSTS = new Set(["maven.neoforged.net", "libraries.minecraft.net"]);
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/** A relative path of plain segments (no `..`, no absolute path, no backslash): safe to join under a directory. */
export function isSafeRelativePath(p: string): boolean {
  return p.length > 0 && p.length <= 512 && p.split("/").every((s) => SAFE_SEGMENT.test(s) && s !== "." && s !== "..");
}

/**
 * Reads install_profile.json and the version.json it names from an
 * installer jar within bounds (INSTALLER_ZIP_LIMITS; each JSON at most
 * MAX_PROFILE_JSON_BYTES) and checks what the sandboxed install will act
 * on: every library has a safe path and a sha1, and a url on an upstream
 * host (or none: then it is inside the installer); a server-side processor
 * names its jar and classpath as Maven coordinates. The jar's bytes were
 * pinned by hash first; its contents are still upstream's and checked.
 */
export function readInstallProfile(installer: Uint8Array): InstallProfile {
  let entries: ReturnType<typeof zipDirectory>;
  try {
    entries = zipDirectory(installer, INSTALLER_ZIP_LIMITS);
  } catch (err) {
    throw new InstallerRefusedError(`the NeoForge installer is not a readable jar: ${(err as Error).message}`);
  }
  const json = (name: string): Record<string, unknown> => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new InstallerRefusedError(`the NeoForge installer has no ${name}.`);
    if (entry.size > MAX_PROFILE_JSON_BYTES) throw new InstallerRefusedError(`the NeoForge installer's ${name} is ${entry.size} bytes; at most ${MAX_PROFILE_JSON_BYTES} are read.`);
    try {
      const value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(readEntry(installer, entry)));
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
      return value as Record<string, unknown>;
    } catch (err) {
      if (err instanceof PackRefusedError) throw new InstallerRefusedError(`the NeoForge installer's ${name}: ${err.message}`);
      throw new InstallerRefusedError(`the NeoForge installer's ${name} is not a JSON object (${(err as Error).message}).`);
    }
  };
  const profile = json("install_profile.json");
  const versionName = str(profile.json, "install_profile.json's json").replace(/^\//, "");
  if (!isSafeRelativePath(versionName)) throw new InstallerRefusedError(`install_profile.json names an unusable version file ${JSON.stringify(versionName)}.`);
  const versionJson = json(versionName);
  const version = str(profile.version, "install_profile.json's version").replace(/^neoforge-/, "");
  const minecraft = str(profile.minecraft, "install_profile.json's minecraft");
  const serverJarPath = str(profile.serverJarPath, "install_profile.json's serverJarPath");
  if (!/^\{LIBRARY_DIR\}\/[A-Za-z0-9._/{}+-]+\.jar$/.test(serverJarPath) || serverJarPath.includes("..")) {
    throw new InstallerRefusedError(`install_profile.json's serverJarPath ${JSON.stringify(serverJarPath)} is not under {LIBRARY_DIR}.`);
  }
  const libraries = new Map<string, InstallerLibrary>();
  for (const lib of [...list(profile.libraries, "install_profile.json's libraries", MAX_LIBRARIES), ...list(versionJson.libraries, `${versionName}'s libraries`, MAX_LIBRARIES)]) {
    const parsed = library(lib);
    const seen = libraries.get(parsed.path);
    if (seen && seen.sha1 !== parsed.sha1) throw new InstallerRefusedError(`the NeoForge installer lists ${parsed.path} twice with different sha1s.`);
    libraries.set(parsed.path, parsed);
  }
  const processors: InstallerProcessor[] = [];
  for (const p of list(profile.processors ?? [], "install_profile.json's processors", MAX_PROCESSORS)) {
    const o = obj(p, "a processor");
    const sides = o.sides === undefined ? undefined : list(o.sides, "a processor's sides", 4).map((s) => str(s, "a side"));
    if (sides && !sides.includes("server")) continue;
    processors.push({
      jar: coordinate(o.jar),
      classpath: list(o.classpath ?? [], "a processor's classpath", MAX_LIBRARIES).map(coordinate),
      args: list(o.args ?? [], "a processor's args", 200).map((a) => str(a, "a processor argument")),
      ...(sides ? { sides } : {}),
    });
  }
  const data: Record<string, string> = {};
  const declared = obj(profile.data ?? {}, "install_profile.json's data");
  if (Object.keys(declared).length > MAX_PROCESSORS) throw new InstallerRefusedError(`install_profile.json's data has more than ${MAX_PROCESSORS} entries.`);
  for (const [key, value] of Object.entries(declared)) {
    if (!/^[A-Z0-9_]{1,64}$/.test(key)) throw new InstallerRefusedError(`install_profile.json's data has an unusable key ${JSON.stringify(key)}.`);
    data[key] = str(obj(value, `data ${key}`).server, `data ${key}'s server value`);
  }
  return { version, minecraft, serverJarPath, libraries: [...libraries.values()], processors, data, mainClass: str(versionJson.mainClass, `${versionName}'s mainClass`) };
}

function library(value: unknown): InstallerLibrary {
  const o = obj(value, "a library");
  const name = coordinate(o.name);
  const artifact = obj(obj(o.downloads, `${name}'s downloads`).artifact, `${name}'s artifact`);
  const path = str(artifact.path, `${name}'s path`);
  if (!isSafeRelativePath(path)) throw new InstallerRefusedError(`the NeoForge installer puts ${name} at an unsafe path ${JSON.stringify(path)}.`);
  const sha1 = str(artifact.sha1, `${name}'s sha1`);
  if (!/^[0-9a-f]{40}$/.test(sha1)) throw new InstallerRefusedError(`the NeoForge installer gives ${name} no usable sha1.`);
  const size = artifact.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new InstallerRefusedError(`the NeoForge installer gives ${name} no usable size.`);
  const url = typeof artifact.url === "string" ? artifact.url : "";
  if (url !== "") {
    let host: string;
    try {
      const u = new URL(url);
      if (u.protocol !== "https:") throw new Error("not https");
      host = u.hostname;
    } catch {
      throw new InstallerRefusedError(`the NeoForge installer gives ${name} an unusable url ${JSON.stringify(url)}.`);
    }
    if (!LIBRARY_HOSTS.has(host)) throw new InstallerRefusedError(`the NeoForge installer fetches ${name} from ${host}, which is not NeoForge's or Mojang's; refused.`);
  }
  return { name, path, url, sha1, size };
}

/** `group:artifact:version[:classifier][@ext]`, each part plain. */
function coordinate(value: unknown): string {
  const s = str(value, "a Maven coordinate");
  if (!/^[A-Za-z0-9._-]+(:[A-Za-z0-9._+-]+){2,3}(@[A-Za-z0-9]+)?$/.test(s)) throw new InstallerRefusedError(`the NeoForge installer names an unusable Maven coordinate ${JSON.stringify(s)}.`);
  return s;
}

function str(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 4096) throw new InstallerRefusedError(`${what} is missing or not a string.`);
  return value;
}
function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InstallerRefusedError(`${what} is not a JSON object.`);
  return value as Record<string, unknown>;
}
function list(value: unknown, what: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new InstallerRefusedError(`${what} is not a list.`);
  if (value.length > max) throw new InstallerRefusedError(`${what} has ${value.length} entries; at most ${max} are read.`);
  return value;
}
