import { PackRefusedError, readEntry, zipDirectory } from "./boundedZip";

/**
 * The bytes of one entry of a pinned pack (an override file), read the same
 * bounded way the control plane read it: the agent builds a `packFile` from
 * the `.mrpack` in its verified cache, and its size and sha512 are then
 * checked against the manifest like every built file's.
 */
export function packEntryBytes(pack: Uint8Array, entry: string): Uint8Array {
  const e = zipDirectory(pack).find((x) => x.name === entry && !x.directory && !x.symlink);
  if (!e) throw new PackRefusedError(`The pack has no entry ${JSON.stringify(entry)}.`);
  return readEntry(pack, e);
}
