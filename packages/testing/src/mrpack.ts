import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { zipSync, type Zippable } from "fflate";
import { mirrorPath, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";

/**
 * `.mrpack` archives built to Modrinth's modpack format
 * (https://support.modrinth.com/en/articles/8802351-modrinth-modpack-format-mrpack),
 * for tests: a zip (deflated, as the Modrinth app writes them) holding
 * `modrinth.index.json` and the `overrides/`, `server-overrides/` and
 * `client-overrides/` folders. Every field can be replaced, so a test can
 * build exactly the broken pack it means to refuse.
 */
export interface PackFileSpec {
  path: string;
  /** The file's bytes: the hashes and fileSize are computed from them. */
  bytes: Uint8Array;
  url: string;
  env?: { client: "required" | "optional" | "unsupported"; server: "required" | "optional" | "unsupported" };
}

export interface PackSpec {
  name?: string;
  versionId?: string;
  dependencies?: Record<string, string>;
  files?: PackFileSpec[];
  overrides?: Record<string, string | Uint8Array>;
  serverOverrides?: Record<string, string | Uint8Array>;
  clientOverrides?: Record<string, string | Uint8Array>;
  /** Replaces or adds fields of modrinth.index.json after it is built (e.g. `{ formatVersion: 2 }`). */
  index?: Record<string, unknown>;
  /** Raw entries besides the index and the overrides. */
  entries?: Zippable;
}

const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");
const bytesOf = (v: string | Uint8Array) => (typeof v === "string" ? new TextEncoder().encode(v) : v);

/** The index entry of a file, hashed from its bytes (sha1 and sha512, both required by the format). */
export function packIndexFile(f: PackFileSpec): Record<string, unknown> {
  return {
    path: f.path,
    hashes: { sha1: hex("sha1", f.bytes), sha512: hex("sha512", f.bytes) },
    ...(f.env ? { env: f.env } : {}),
    downloads: [f.url],
    fileSize: f.bytes.byteLength,
  };
}

export function packIndex(spec: PackSpec): Record<string, unknown> {
  return {
    formatVersion: 1,
    game: "minecraft",
    versionId: spec.versionId ?? "1.0.0",
    name: spec.name ?? "Test Pack",
    summary: "Built by the tests to the .mrpack format",
    files: (spec.files ?? []).map(packIndexFile),
    dependencies: spec.dependencies ?? { minecraft: "1.21.1", "fabric-loader": "0.16.5" },
    ...spec.index,
  };
}

export function buildMrpack(spec: PackSpec): Uint8Array {
  const entries: Zippable = { "modrinth.index.json": new TextEncoder().encode(JSON.stringify(packIndex(spec), null, 2)) };
  const folder = (prefix: string, files: Record<string, string | Uint8Array> = {}) => {
    for (const [path, v] of Object.entries(files)) entries[`${prefix}/${path}`] = bytesOf(v);
  };
  folder("overrides", spec.overrides);
  folder("server-overrides", spec.serverOverrides);
  folder("client-overrides", spec.clientOverrides);
  Object.assign(entries, spec.entries ?? {});
  return zipSync(entries, { level: 6, mtime: new Date(1980, 0, 1) });
}

/** A file's sha512, as the upload endpoint answers it. */
export const packSha512 = (pack: Uint8Array) => hex("sha512", pack);

/** A pack file whose bytes are the offline mirror's copy of `url` (so agents and msw serve exactly what the index hashes). */
export async function mirroredPackFile(path: string, url: string, env?: PackFileSpec["env"]): Promise<PackFileSpec> {
  const bytes = new Uint8Array(await readFile(join(OFFLINE_MIRROR_DIR, mirrorPath(url))));
  return { path, url, bytes, ...(env ? { env } : {}) };
}

/** Files of the offline mirror a pack for Minecraft 1.21.1 with Fabric can list. */
export const MIRRORED_MODS = {
  lithium: "https://cdn.modrinth.com/data/gvQqBUqZ/versions/5szYtenV/lithium-mc1.21.1-0.13.0.jar",
  fabricApi: "https://cdn.modrinth.com/data/P7dR8mSH/versions/Kf2ZTlGz/fabric-api-0.102.0%2B1.21.1.jar",
  sodium: "https://cdn.modrinth.com/data/AANobbMI/versions/u1OEbNKx/sodium-mc1.21.1-0.6.0.jar",
  /** Fabric Loader (the simulated server too) refuses to start with it. */
  needsNewLoader: "https://cdn.modrinth.com/data/NeedLdr1/versions/nnl10000/needs-new-loader-1.0.0.jar",
} as const;
