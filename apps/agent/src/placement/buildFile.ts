import { readFile } from "node:fs/promises";
import { buildLauncherJar, buildLaunchJar, buildQuiltLaunchJar, PackRefusedError, packEntries, readEntryAsync, sha512Hex, type BuiltFile } from "@zlh/artifacts";
import { OpFailure } from "../ops/opFailure";
import type { ArtifactFiles } from "./cache";

/**
 * The bytes of a file the manifest says to build (the Fabric launcher and
 * launch jar, Quilt's launch jar, a modpack's override extracted from its pinned archive), built from its pinned inputs exactly as the control plane
 * built them when it pinned the hash. Anything else than those bytes (an
 * input that changed, a different builder) is refused, never placed.
 */
export async function buildFile(file: BuiltFile, cache: ArtifactFiles): Promise<Uint8Array> {
  const bytes =
    file.kind === "launcher"
      ? buildLauncherJar(await readFile(await cache.ensure(file.build.installer)), file.build.loader, file.build.game)
      : file.kind === "packFile"
        ? await packFile(file, cache)
        : file.kind === "quiltLaunch"
          ? buildQuiltLaunchJar(file.build)
          : buildLaunchJar(file.build);
  if (bytes.byteLength !== file.size || sha512Hex(bytes) !== file.sha512) {
    throw new OpFailure("artifact_mismatch", `${file.path}: the built file differs from the one the manifest pins (size ${bytes.byteLength}, expected ${file.size}); refused`, false);
  }
  return bytes;
}

/**
 * The last pack read, kept for a few seconds: a pack's overrides are placed
 * one after the other, and reading the whole archive again for each of
 * hundreds of config files would cost that many times its size.
 */
let lastPack: { sha512: string; bytes: Uint8Array; entries: ReturnType<typeof packEntries>; drop: NodeJS.Timeout } | null = null;

async function packFile(file: Extract<BuiltFile, { kind: "packFile" }>, cache: ArtifactFiles): Promise<Uint8Array> {
  try {
    const path = await cache.ensure(file.build.pack);
    if (lastPack?.sha512 !== file.build.pack.sha512) {
      if (lastPack) clearTimeout(lastPack.drop);
      const bytes = new Uint8Array(await readFile(path));
      lastPack = { sha512: file.build.pack.sha512, bytes, entries: packEntries(bytes), drop: setTimeout(() => (lastPack = null), 10_000).unref() };
    }
    const entry = lastPack.entries.get(file.build.entry);
    if (!entry) throw new PackRefusedError(`The pack has no entry ${JSON.stringify(file.build.entry)}.`);
    // Inflated on libuv's thread pool: an override of hundreds of MiB does not stall the agent's heartbeats.
    return await readEntryAsync(lastPack.bytes, entry);
  } catch (err) {
    if (err instanceof PackRefusedError) throw new OpFailure("artifact_mismatch", `${file.path}: ${err.message}`, false);
    throw err;
  }
}
