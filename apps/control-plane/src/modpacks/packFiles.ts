import { packEntries, packEntryBytes, sha512Hex, type ManifestFile, type ManifestModpack, type ReadPack } from "@zlh/artifacts";

/**
 * A read pack's files, pinned for the manifest: each `files[]` entry as a
 * download with the pack's own sha1, sha512 and size (the agents check
 * them), each override as a `packFile` the agent extracts from the pinned
 * `.mrpack`, with the size and sha512 of the entry as read here.
 */
export function packManifestFiles(pin: ManifestModpack, pack: ReadPack, bytes: Uint8Array): ManifestFile[] {
  const entries = packEntries(bytes);
  const input = { url: pin.url, size: pin.size, sha512: pin.sha512 };
  return [
    ...pack.downloads.map((d) => ({ path: d.path, url: d.url, size: d.size, sha512: d.sha512, sha1: d.sha1, kind: "pack" as const })),
    ...pack.overrides.map((o) => {
      const data = packEntryBytes(bytes, o.entry, entries);
      return { path: o.path, size: data.byteLength, sha512: sha512Hex(data), kind: "packFile" as const, build: { pack: input, entry: o.entry } };
    }),
  ];
}
