import type { ModpackRef } from "@zlh/api";
import { ArtifactFetchError, PackRefusedError, readPack, sha512Hex, uploadedPackUrl, type ArtifactSource, type ManifestModpack, type ReadPack } from "@zlh/artifacts";
import { readModpackUpload, type Db } from "@zlh/db";
import { ModpackInvalidError, ModpackLoaderUnsupportedError, ModpackNotFoundError, ModpackUnavailableError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { PACK_LOADER_SUPPORT, provisionableLoaders } from "./loaders";
import { modrinthPackFile } from "./modrinthPack";

export interface ModpackDeps {
  db: Db;
  source: ArtifactSource;
  /** ZLH_MODPACK_MAX_BYTES: the largest pack read, uploaded or from Modrinth. */
  maxBytes: number;
}

export interface InspectedPack {
  pin: ManifestModpack;
  pack: ReadPack;
  bytes: Uint8Array;
}

/**
 * A create's or change's modpack, read and checked before anything is
 * written: the pack's bytes (an upload from the database, or Modrinth's
 * `.mrpack` checked against its published size, sha1 and sha512), read to
 * the format (readPack), with a loader this platform provisions. Every
 * refusal is a 4xx saying why; Modrinth being unreachable is a 503.
 */
export async function inspectModpack(deps: ModpackDeps, ref: ModpackRef): Promise<InspectedPack> {
  try {
    if ("upload" in ref) {
      const bytes = await readModpackUpload(deps.db, ref.upload);
      if (!bytes) throw new ModpackNotFoundError(`No uploaded modpack has sha512 ${ref.upload}; upload it with POST /v1/modpacks first.`);
      const pack = checkedPack(bytes);
      return { pack, bytes, pin: { source: "upload", name: pack.name, version: pack.versionId, url: uploadedPackUrl(ref.upload), size: bytes.byteLength, sha512: ref.upload } };
    }
    const f = await modrinthPackFile(deps.source, ref);
    if (f.size > deps.maxBytes) throw new ModpackInvalidError(`The pack is ${f.size} bytes; at most ${deps.maxBytes} are accepted (ZLH_MODPACK_MAX_BYTES).`);
    const bytes = await packBytes(deps, { url: f.url, size: f.size, sha512: f.sha512, sha1: f.sha1 });
    const pack = checkedPack(bytes);
    return {
      pack,
      bytes,
      pin: { source: "modrinth", name: pack.name, version: pack.versionId, projectId: f.projectId, versionId: f.versionId, url: f.url, size: f.size, sha512: f.sha512 },
    };
  } catch (err) {
    if (err instanceof ResolutionError) throw new ModpackInvalidError(err.message);
    if (err instanceof ArtifactFetchError) throw new ModpackUnavailableError(`Modrinth could not be asked for the pack: ${err.message}; try again.`);
    throw err;
  }
}

/** A pack read to the format, refused (4xx) unless its loader is one this platform provisions. */
export function checkedPack(bytes: Uint8Array): ReadPack {
  let pack: ReadPack;
  try {
    pack = readPack(bytes);
  } catch (err) {
    if (err instanceof PackRefusedError) throw new ModpackInvalidError(err.message);
    throw err;
  }
  if (PACK_LOADER_SUPPORT[pack.loader.name] === null) {
    throw new ModpackLoaderUnsupportedError(
      `The pack needs ${pack.loader.name} ${pack.loader.version}, which this platform cannot provision yet; packs for ${provisionableLoaders().join(", ")} can be provisioned.`,
    );
  }
  return pack;
}

/**
 * The bytes of a pinned pack, for resolution: an upload from the database,
 * a Modrinth pack downloaded (once per URL, recorded in artifact_digests)
 * and refused unless it is the pinned size and sha512.
 */
export async function packBytes(deps: Pick<ModpackDeps, "db" | "source">, pin: { url: string; size: number; sha512: string; sha1?: string }): Promise<Uint8Array> {
  const upload = pin.url === uploadedPackUrl(pin.sha512);
  const bytes = upload ? await readModpackUpload(deps.db, pin.sha512) : (await fetchPinned(deps.db, deps.source, pin.url, { size: pin.size, sha1: pin.sha1 })).bytes;
  if (!bytes) throw new ResolutionError(`The uploaded modpack ${pin.sha512} is no longer stored.`);
  if (bytes.byteLength !== pin.size || sha512Hex(bytes) !== pin.sha512) throw new ResolutionError(`The modpack at ${pin.url} is not the pinned one (size or sha512 differs); refused.`);
  return bytes;
}
