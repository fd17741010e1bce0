import { sql } from "drizzle-orm";
import { adoptiumReleasesUrl, ArtifactNotFoundError, javaRuntimeDir, type AdoptiumRelease, type ArtifactSource, type JavaArchitecture, type JavaRuntime } from "@zlh/artifacts";
import type { Db } from "@zlh/db";
import { fetchPinned } from "./digest";
import { ResolutionError } from "./errors";

/**
 * Pins the Java runtime a game needs, as launchers do: the feature release
 * Mojang names (`javaVersion.majorVersion`), newest GA build first. Adoptium
 * answers 404 when it has no such build (an unknown feature, or none for the
 * architecture): a permanent refusal. The archive is downloaded once (its
 * sha512 is the agents' cache key; Adoptium publishes a sha256) and must
 * match the size and sha256 Adoptium publishes; the digest is recorded in
 * artifact_digests, so a later change of the file is refused.
 */
export async function resolveJava(db: Db, source: ArtifactSource, major: number, architecture: JavaArchitecture = "x64"): Promise<JavaRuntime> {
  const noBuild = `Adoptium has no GA Temurin JRE of Java ${major} for linux/${architecture}`;
  let releases: AdoptiumRelease[];
  try {
    releases = await source.fetchJson<AdoptiumRelease[]>(adoptiumReleasesUrl(major, architecture));
  } catch (err) {
    if (err instanceof ArtifactNotFoundError) throw new ResolutionError(`${noBuild} (Adoptium answered ${err.status}).`);
    throw err;
  }
  const candidates = (Array.isArray(releases) ? releases : [])
    .filter((r) => r.release_type === "ga" && r.version_data?.major === major)
    .flatMap((r) => {
      const b = r.binaries.find((x) => x.os === "linux" && x.architecture === architecture && x.image_type === "jre" && x.jvm_impl === "hotspot" && x.package?.name.endsWith(".tar.gz"));
      return b ? [{ release: r, pkg: b.package }] : [];
    })
    .sort((a, b) => compareVersionData(b.release.version_data, a.release.version_data));
  const newest = candidates[0];
  if (!newest) throw new ResolutionError(`${noBuild}.`);
  const { release, pkg } = newest;
  if (!pkg.checksum || !/^[0-9a-f]{64}$/.test(pkg.checksum)) throw new ResolutionError(`Adoptium publishes no sha256 for ${pkg.link}; refused.`);
  const d = await archiveDigest(db, source, pkg.link, pkg.size, pkg.checksum);
  return { major, release: release.release_name, architecture, url: pkg.link, size: d.size, sha256: d.sha256, sha512: d.sha512, path: javaRuntimeDir(major) };
}

/**
 * The sha256 (the one Adoptium publishes, which the download must match) and
 * sha512 of the archive. artifact_digests (the record that makes a changed
 * file refused) has no sha256, so the bytes are checked here once per
 * process: a later resolution reuses that only while the recorded digest is
 * still the one hashed. A 50 MB download per build and process.
 */
async function archiveDigest(db: Db, source: ArtifactSource, url: string, size: number, sha256: string): Promise<{ sha256: string; sha512: string; size: number }> {
  const seen = hashedArchives.get(url);
  if (seen) {
    const [known] = await db.execute<{ sha512: string }>(sql`select sha512 from artifact_digests where url = ${url}`);
    if (known?.sha512 === seen.sha512 && seen.size === size && seen.sha256 === sha256) return seen;
  }
  // The published sha256 is checked before the digest is recorded: a corrupt first download pins nothing.
  const { digest } = await fetchPinned(db, source, url, { size, hash: { algorithm: "sha256", hex: sha256, by: "Adoptium" } });
  const hashed = { sha256, sha512: digest.sha512, size: digest.size };
  hashedArchives.set(url, hashed);
  return hashed;
}
const hashedArchives = new Map<string, { sha256: string; sha512: string; size: number }>();

function compareVersionData(a: AdoptiumRelease["version_data"], b: AdoptiumRelease["version_data"]): number {
  return a.major - b.major || a.minor - b.minor || a.security - b.security || (a.patch ?? 0) - (b.patch ?? 0) || a.build - b.build;
}
