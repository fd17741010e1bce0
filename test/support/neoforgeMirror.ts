import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { mirrorPath, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { buildStandinNeoforge, mirroredMojangInner, neoforgeMavenFiles, type StandinNeoforge } from "../../scripts/standinGame/neoforgeInstaller";

/**
 * A copy of the offline mirror (for ZLH_ARTIFACT_SOURCE=mirror) plus
 * NeoForge's Maven as it serves a build: maven-metadata.xml listing
 * `listed`, and the stand-in installer of `version` for `game` with its
 * .sha256 and libraries. The caller removes `dir`.
 */
export async function neoforgeMirror(game: string, version: string, listed: string[] = [version]): Promise<{ dir: string; neo: StandinNeoforge }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-neoforge-mirror-"));
  await cp(OFFLINE_MIRROR_DIR, dir, { recursive: true });
  const neo = await buildStandinNeoforge({ version, game, mojangInner: await mirroredMojangInner(game) });
  for (const [url, body] of neoforgeMavenFiles([neo], listed)) {
    const path = join(dir, mirrorPath(url));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }
  return { dir, neo };
}
