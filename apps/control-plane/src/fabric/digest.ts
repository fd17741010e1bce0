import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { ArtifactNotFoundError, fetchAtMost, sha1Hex, sha512Hex, type ArtifactSource } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { ResolutionError } from "./errors";

export type Digest = {
  size: number;
  sha512: string;
  sha1: string;
};

type Published = { sha1?: string; size?: number };

/**
 * The size and hashes of the file at `url`, downloading it once: later calls
 * (any server, any process) read them from `artifact_digests`. When upstream
 * publishes a sha1 and size, the download must match them or it is refused.
 * `expect` may be a function when what upstream publishes costs a request
 * of its own (a Maven `.sha1`): it is asked only when the file is downloaded,
 * since a recorded digest is the pin from then on.
 */
export async function digestOf(db: Db, source: ArtifactSource, url: string, expect?: Published | (() => Promise<Published>)): Promise<Digest> {
  const [known] = await db.execute<Digest>(sql`select size::int as size, sha512, sha1 from artifact_digests where url = ${url}`);
  if (known) return typeof expect === "function" ? known : checked(url, known, expect);
  return (await fetchPinned(db, source, url, typeof expect === "function" ? await expect() : expect)).digest;
}

/**
 * The most a file resolution reads whole is taken to be when upstream
 * publishes no size (a Paper or Purpur jar is ~50 MiB, Fabric's jars far
 * less): a source sending more is cut off at the first byte past it.
 */
export const PINNED_MAX_BYTES = 256 * 1024 * 1024;

/**
 * A hash upstream publishes beside a file that artifact_digests does not
 * keep (Paper's sha256, Purpur's md5, a Maven `.sha256`, Adoptium's
 * checksum), and who publishes it, for the refusal's wording.
 */
export type PublishedHash = { algorithm: "sha256" | "sha1" | "md5"; hex: string; by: string };

/**
 * The file's bytes, for the few files resolution reads (the loader jar's
 * manifest, the installer jar the launcher is built from), checked against
 * what upstream publishes and against the digest recorded the first time:
 * an immutable Maven file that changes is refused, never silently re-pinned.
 * Read as a stream and stopped at the published size, or at `maxBytes`
 * where none is published: a hostile or broken mirror cannot make the
 * control plane hold gigabytes. Everything published (`expect`, with its
 * `hash`) is checked before the digest is recorded: a bad first download
 * pins nothing, so the right bytes later are not refused as a change.
 */
export async function fetchPinned(
  db: Db,
  source: ArtifactSource,
  url: string,
  expect?: { sha1?: string; size?: number; hash?: PublishedHash },
  maxBytes = PINNED_MAX_BYTES,
): Promise<{ bytes: Uint8Array; digest: Digest }> {
  let bytes: Uint8Array;
  try {
    bytes =
      expect?.size !== undefined
        ? await fetchWithin(source, url, expect.size, `size mismatch for ${url}: upstream publishes ${expect.size} bytes, the file has more (the download was stopped there)`)
        : await fetchBounded(source, url, maxBytes);
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`upstream has no file at ${url}`);
    throw err;
  }
  const digest = checked(url, { size: bytes.byteLength, sha512: sha512Hex(bytes), sha1: sha1Hex(bytes) }, expect);
  if (expect?.hash) {
    const { algorithm, hex, by } = expect.hash;
    const actual = createHash(algorithm).update(bytes).digest("hex");
    if (actual !== hex) throw new ResolutionError(`hash mismatch for ${url}: ${by} publishes ${algorithm} ${hex}, the file has ${actual}`);
  }
  const [recorded] = await db.execute<Digest>(sql`
    with ins as (
      insert into artifact_digests (url, size, sha512, sha1) values (${url}, ${digest.size}, ${digest.sha512}, ${digest.sha1})
      on conflict (url) do nothing returning size::int as size, sha512, sha1
    )
    select * from ins union all select size::int, sha512, sha1 from artifact_digests where url = ${url} limit 1`);
  if (recorded && recorded.sha512 !== digest.sha512) throw new ResolutionError(`${url} changed upstream since it was first pinned (sha512 differs); refused`);
  return { bytes, digest };
}

/** A Maven `.sha1` or `.sha256`: the hex digest, perhaps the file name after it; a few hundred bytes at most. */
export const HASH_FILE_MAX_BYTES = 512;

/**
 * A small file resolution reads whole (a Maven listing, a `.sha1`), read as
 * a stream and refused (ResolutionError) at the first byte past `maxBytes`:
 * what a sane upstream sends is far below it. ArtifactNotFoundError passes
 * through, for the caller to word.
 */
export async function fetchBounded(source: ArtifactSource, url: string, maxBytes: number): Promise<Uint8Array> {
  return fetchWithin(source, url, maxBytes, `${url} is more than ${maxBytes} bytes, more than such a file can be; the download was stopped there, refused.`);
}

async function fetchWithin(source: ArtifactSource, url: string, limit: number, refusal: string): Promise<Uint8Array> {
  const got = await fetchAtMost(source, url, limit);
  if (!got) throw new ResolutionError(refusal);
  return got;
}

function checked(url: string, d: Digest, expect?: { sha1?: string; size?: number }): Digest {
  if (expect?.sha1 && expect.sha1 !== d.sha1) throw new ResolutionError(`hash mismatch for ${url}: upstream publishes sha1 ${expect.sha1}, the file has ${d.sha1}`);
  if (expect?.size !== undefined && expect.size !== d.size) throw new ResolutionError(`size mismatch for ${url}: upstream publishes ${expect.size} bytes, the file has ${d.size}`);
  return d;
}
