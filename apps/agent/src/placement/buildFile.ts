import { readFile } from "node:fs/promises";
import { buildLauncherJar, buildLaunchJar, sha512Hex, type BuiltFile } from "@zlh/artifacts";
import { OpFailure } from "../ops/opFailure";
import type { ArtifactCache } from "./cache";

/**
 * The bytes of a file the manifest says to build (the Fabric launcher and
 * launch jar), built from its pinned inputs exactly as the control plane
 * built them when it pinned the hash. Anything else than those bytes (an
 * input that changed, a different builder) is refused, never placed.
 */
export async function buildFile(file: BuiltFile, cache: ArtifactCache): Promise<Uint8Array> {
  const bytes =
    file.kind === "launcher"
      ? buildLauncherJar(await readFile(await cache.ensure(file.build.installer)), file.build.loader, file.build.game)
      : buildLaunchJar(file.build);
  if (bytes.byteLength !== file.size || sha512Hex(bytes) !== file.sha512) {
    throw new OpFailure("artifact_mismatch", `${file.path}: the built file differs from the one the manifest pins (size ${bytes.byteLength}, expected ${file.size}); refused`, false);
  }
  return bytes;
}
