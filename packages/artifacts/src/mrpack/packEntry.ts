import { PackRefusedError, readEntry, zipDirectory, type ZipDirEntry } from "./boundedZip";

/** A pack's file entries by name (read once, then any number of entries extracted from it). */
export function packEntries(pack: Uint8Array): Map<string, ZipDirEntry> {
  return new Map(zipDirectory(pack).filter((e) => !e.directory && !e.symlink).map((e) => [e.name, e]));
}

/**
 * The bytes of one entry of a pinned pack (an override file), read the same
 * bounded way the control plane read it: the agent builds a `packFile` from
 * the `.mrpack` in its verified cache, and its size and sha512 are then
 * checked against the manifest like every built file's.
 */
export function packEntryBytes(pack: Uint8Array, entry: string, entries = packEntries(pack)): Uint8Array {
  const e = entries.get(entry);
  if (!e) throw new PackRefusedError(`The pack has no entry ${JSON.stringify(entry)}.`);
  return readEntry(pack, e);
}
