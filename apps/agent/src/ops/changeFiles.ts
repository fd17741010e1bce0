import type { Logger } from "pino";
import { isBuilt, type Manifest, type ManifestFile } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import type { GuestFiles } from "../guest/guestFiles";
import type { ArtifactCache } from "../placement/cache";
import { placeServer, type PlacementOptions, type PlacementReport } from "../placement/placeServer";
import { OpFailure } from "./opFailure";

/**
 * Every file `manifest` needs, fetched and verified into the host's cache
 * (the inputs of built files too), before the server is touched: a download
 * that fails then fails with nothing on disk changed, never half-way through
 * a placement.
 */
export async function prefetchManifest(cache: ArtifactCache, manifest: Manifest, signal: AbortSignal): Promise<void> {
  for (const file of manifest.files) {
    signal.throwIfAborted();
    if (!isBuilt(file)) await cache.ensure(file);
    else if (file.kind === "launcher") await cache.ensure(file.build.installer);
  }
}

/**
 * Places `target` over a server directory where the placement of other
 * manifests (`abandoned`: a change that failed, or an attempt that died,
 * part-way) may have stopped half-way. Placement writes its record
 * (`.zlh/manifest.json`) only once it has placed everything, so the files
 * it placed of those before stopping are on disk but in no record, and a
 * plain placement of `target` would leave them behind as if they were the
 * customer's. So first the record is made to list them: `target` is placed
 * with the abandoned manifests' own files added, each only if it is already
 * on disk with exactly the bytes its manifest pins (a cache that refuses
 * them means none is written for this, and a customer's different file at
 * such a path is left alone). All of them at once when that works, else one
 * at a time, skipping those that cannot be (a path the customer has made
 * unsafe, a file never written). Then `target` is placed, which removes
 * everything the record lists and it does not. (A built launch jar needs no
 * cache: if one is among them, it is written and removed again.)
 */
export async function placeRemovingAbandoned(
  guest: GuestFiles,
  spec: OperationSpec,
  target: Manifest,
  abandoned: Manifest[],
  cache: ArtifactCache,
  opts: PlacementOptions & { signal: AbortSignal },
  log: Logger,
): Promise<PlacementReport> {
  const taken = new Set(target.files.map((f) => f.path));
  const stray: ManifestFile[] = [];
  for (const file of abandoned.flatMap((m) => m.files)) {
    if (taken.has(file.path)) continue;
    taken.add(file.path);
    stray.push(file);
  }
  if (stray.length > 0) {
    const onlyPresent = refusing(cache, stray);
    const withStray = (files: ManifestFile[]): Manifest => ({ ...target, files: [...files, ...target.files] });
    try {
      await placeServer(guest, spec, withStray(stray), onlyPresent, opts);
    } catch (all) {
      opts.signal.throwIfAborted();
      log.info({ vmid: spec.vmid, files: stray.length, err: (all as Error).message }, "abandoned files not all present; recording them one by one");
      for (const file of stray) {
        try {
          await placeServer(guest, spec, withStray([file]), onlyPresent, opts);
        } catch (one) {
          opts.signal.throwIfAborted();
          log.debug({ vmid: spec.vmid, path: file.path, err: (one as Error).message }, "abandoned file not on disk as placed; left alone");
        }
      }
    }
  }
  return placeServer(guest, spec, target, cache, opts);
}

/**
 * The cache, except that it refuses the files of `files` (and the installer
 * a built launcher among them is made from): placement then keeps such a
 * file if it is already on disk with the right bytes, and writes none.
 */
function refusing(cache: ArtifactCache, files: ManifestFile[]): ArtifactCache {
  const refused = new Set<unknown>(files.flatMap((f) => (isBuilt(f) ? (f.kind === "launcher" ? [f.build.installer] : []) : [f])));
  const view = Object.create(cache) as ArtifactCache;
  view.ensure = (file) => {
    if (refused.has(file)) return Promise.reject(new OpFailure("not_placed", `${file.url} is not on disk; not placed again to be removed`, false));
    return cache.ensure(file);
  };
  return view;
}
