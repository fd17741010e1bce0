import { createHash } from "node:crypto";
import { readEntryAsync } from "./boundedZip";
import { packEntries } from "./packEntry";
import { readPack, type PackOverride, type ReadPack } from "./readPack";

/** An override with the size and sha512 of its bytes, as the agent must reproduce them. */
export interface DigestedOverride extends PackOverride {
  sha512: string;
}

/** A read pack with every override's digest: everything a manifest pins from a pack, without the pack's bytes. */
export interface PackContents extends Omit<ReadPack, "overrides"> {
  overrides: DigestedOverride[];
}

/** Hashed in slices this big, yielding between them, so hashing 256 MiB of overrides never holds the event loop for long. */
const HASH_SLICE = 4 * 1024 * 1024;

/**
 * What a pack places, read once when the pack is first seen (uploaded, or
 * first taken from Modrinth) and stored by its sha512: readPack's answer
 * plus each override's size and sha512. The heavy part, inflating and
 * hashing up to PACK_LIMITS.maxOverrideBytes, is kept off the event loop:
 * entries inflate on libuv's thread pool (readEntryAsync) and are hashed in
 * slices with a yield between them. Refuses what readPack refuses.
 */
export async function packContents(bytes: Uint8Array): Promise<PackContents> {
  const pack = readPack(bytes);
  const entries = packEntries(bytes);
  const overrides: DigestedOverride[] = [];
  for (const o of pack.overrides) {
    const data = await readEntryAsync(bytes, entries.get(o.entry)!);
    overrides.push({ ...o, size: data.byteLength, sha512: await sha512Sliced(data) });
  }
  return { ...pack, overrides };
}

async function sha512Sliced(data: Uint8Array): Promise<string> {
  const h = createHash("sha512");
  for (let at = 0; at < data.byteLength; at += HASH_SLICE) {
    h.update(data.subarray(at, at + HASH_SLICE));
    if (at + HASH_SLICE < data.byteLength) await new Promise((r) => setImmediate(r));
  }
  return h.digest("hex");
}
