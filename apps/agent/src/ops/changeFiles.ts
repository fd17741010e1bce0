import { isBuilt, type Manifest } from "@zlh/artifacts";
import type { ArtifactFiles } from "../placement/cache";

/**
 * Every file `manifest` needs, fetched and verified into the host's cache
 * (the inputs of built files too, and its Java runtime), before the server is touched: a download
 * that fails then fails with nothing on disk changed, never half-way through
 * a placement.
 */
export async function prefetchManifest(cache: ArtifactFiles, manifest: Manifest, signal: AbortSignal): Promise<void> {
  for (const file of manifest.files) {
    signal.throwIfAborted();
    if (!isBuilt(file)) await cache.ensure(file);
    else if (file.kind === "launcher") await cache.ensure(file.build.installer);
    else if (file.kind === "packFile") await cache.ensure(file.build.pack);
  }
  if (manifest.java) await cache.ensure(manifest.java);
}
