import type { ManifestFile, ManifestModpack, PackContents } from "@zlh/artifacts";

/**
 * A read pack's files, pinned for the manifest: each `files[]` entry as a
 * download with the pack's own sha1, sha512 and size (the agents check
 * them), each override as a `packFile` the agent extracts from the pinned
 * `.mrpack`, with the size and sha512 recorded when the pack was first read.
 */
export function packManifestFiles(pin: ManifestModpack, pack: PackContents): ManifestFile[] {
  const input = { url: pin.url, size: pin.size, sha512: pin.sha512 };
  return [
    ...pack.downloads.map((d) => ({ path: d.path, url: d.url, ...(d.alternates ? { alternates: d.alternates } : {}), size: d.size, sha512: d.sha512, sha1: d.sha1, kind: "pack" as const })),
    ...pack.overrides.map((o) => ({ path: o.path, size: o.size, sha512: o.sha512, kind: "packFile" as const, build: { pack: input, entry: o.entry } })),
  ];
}
