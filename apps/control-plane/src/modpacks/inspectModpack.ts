import type { ModpackRef } from "@zlh/api";
import { ArtifactFetchError, sha512Hex, uploadedPackUrl, withDownloadDeadline, type ArtifactSource, type ManifestModpack, type PackContents } from "@zlh/artifacts";
import { ownedModpackUploadSize, readPinnedModpackUpload, type Db } from "@zlh/db";
import { ModpackInvalidError, ModpackNotFoundError, ModpackUnavailableError } from "@zlh/domain";
import { fetchPinned } from "../fabric/digest";
import { ResolutionError } from "../fabric/errors";
import { checkedContents, contentsOf } from "./packContents";
import { modrinthPackFile } from "./modrinthPack";

export interface ModpackDeps {
  db: Db;
  source: ArtifactSource;
  /** ZLH_MODPACK_MAX_BYTES: the largest pack read, uploaded or from Modrinth. */
  maxBytes: number;
  /** The customer the server is (or is being created) for: an uploaded pack must be one this customer uploaded. */
  customerId: string;
  /** How long a pack's download from Modrinth may take, its body included (default PACK_DOWNLOAD_TIMEOUT_MS). */
  downloadTimeoutMs?: number;
}

/** A pack's download, headers to last byte: 200 MiB (the most ZLH_MODPACK_MAX_BYTES allows) at well under 1 MiB/s. */
const PACK_DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

export interface InspectedPack {
  pin: ManifestModpack;
  pack: PackContents;
}

/**
 * A create's or change's modpack, read and checked before anything is
 * written: an upload of this customer's (another customer's is as unknown as
 * a missing one), or Modrinth's `.mrpack` checked against its published
 * size, sha1 and sha512, read to the format with a loader this platform
 * provisions. What the pack places is read once per pack (contentsOf): a
 * pack seen before, uploaded or from Modrinth, is neither downloaded nor
 * inflated again. Every refusal is a 4xx saying why; Modrinth being
 * unreachable is a 503.
 */
export async function inspectModpack(deps: ModpackDeps, ref: ModpackRef): Promise<InspectedPack> {
  try {
    if ("upload" in ref) {
      const size = await ownedModpackUploadSize(deps.db, ref.upload, deps.customerId);
      if (size === null) throw new ModpackNotFoundError(`This customer has no uploaded modpack with sha512 ${ref.upload}; upload it with POST /v1/modpacks first.`);
      const pin: ManifestModpack = { source: "upload", name: "", version: "", url: uploadedPackUrl(ref.upload), size, sha512: ref.upload };
      const pack = checkedContents(await contentsOf(deps.db, ref.upload, () => packBytes(deps, pin)));
      return { pack, pin: { ...pin, name: pack.name, version: pack.versionId } };
    }
    const f = await modrinthPackFile(deps.source, ref);
    if (f.size > deps.maxBytes) throw new ModpackInvalidError(`The pack is ${f.size} bytes; at most ${deps.maxBytes} are accepted (ZLH_MODPACK_MAX_BYTES).`);
    const pack = checkedContents(await contentsOf(deps.db, f.sha512, () => packBytes(deps, { url: f.url, size: f.size, sha512: f.sha512, sha1: f.sha1 })));
    return {
      pack,
      pin: { source: "modrinth", name: pack.name, version: pack.versionId, projectId: f.projectId, versionId: f.versionId, url: f.url, size: f.size, sha512: f.sha512 },
    };
  } catch (err) {
    if (err instanceof ResolutionError) throw new ModpackInvalidError(err.message);
    if (err instanceof ArtifactFetchError) throw new ModpackUnavailableError(`Modrinth could not be asked for the pack: ${err.message}; try again.`);
    throw err;
  }
}

/**
 * The bytes of a pinned pack, for reading it the first time: an upload from
 * the database, a Modrinth pack downloaded (once per URL, recorded in
 * artifact_digests, within PACK_DOWNLOAD_TIMEOUT_MS) and refused unless it
 * is the pinned size and sha512.
 */
export async function packBytes(deps: Pick<ModpackDeps, "db" | "source" | "downloadTimeoutMs">, pin: { url: string; size: number; sha512: string; sha1?: string }): Promise<Uint8Array> {
  const upload = pin.url === uploadedPackUrl(pin.sha512);
  // Bounded to the last byte: a download whose headers came but whose body trickles ends at the deadline (503, retryable).
  const source = withDownloadDeadline(deps.source, deps.downloadTimeoutMs ?? PACK_DOWNLOAD_TIMEOUT_MS);
  const bytes = upload ? await readPinnedModpackUpload(deps.db, pin.sha512) : (await fetchPinned(deps.db, source, pin.url, { size: pin.size, sha1: pin.sha1 })).bytes;
  if (!bytes) throw new ResolutionError(`The uploaded modpack ${pin.sha512} is no longer stored.`);
  if (bytes.byteLength !== pin.size || sha512Hex(bytes) !== pin.sha512) throw new ResolutionError(`The modpack at ${pin.url} is not the pinned one (size or sha512 differs); refused.`);
  return bytes;
}
