/**
 * Adoptium API v3 answers, in the API's own shapes (adoptium/api.adoptium.net,
 * adoptium-api-v3-models: Release, Binary, Package, VersionData; nulls left
 * out as the API's JSON mapper does), for the offline mirror and the tests.
 * Names follow Temurin's: release `jdk-21.0.7+6`, package
 * `OpenJDK21U-jre_x64_linux_hotspot_21.0.7_6.tar.gz` on the
 * adoptium/temurin21-binaries GitHub release, with `.sha256.txt`, `.sig` and
 * `.json` beside it.
 */
import { createHash } from "node:crypto";
import type { JavaArchitecture } from "@zlh/artifacts";

export interface TemurinBuild {
  major: number;
  minor: number;
  security: number;
  /** The fourth number of an emergency release (`17.0.4.1+1`); absent for the usual three. */
  patch?: number;
  build: number;
  /** When the build was published (the release's `timestamp`). */
  published: string;
}

/** `21.0.7`, `17.0.4.1` for an emergency release, or `21` for a feature's first build. */
function versionNumber(b: TemurinBuild): string {
  if (b.patch) return `${b.major}.${b.minor}.${b.security}.${b.patch}`;
  return b.minor === 0 && b.security === 0 ? `${b.major}` : `${b.major}.${b.minor}.${b.security}`;
}

/** `jdk-21.0.7+6`, `jdk-17.0.4.1+1`, or `jdk-21+35` for a feature's first build (as Temurin names its releases). */
export function temurinReleaseName(b: TemurinBuild): string {
  return `jdk-${versionNumber(b)}+${b.build}`;
}

/** Where Adoptium's `package.link` points for this build's JRE tarball. */
export function temurinJreLink(b: TemurinBuild, architecture: JavaArchitecture): string {
  const version = versionNumber(b);
  const name = `OpenJDK${b.major}U-jre_${architecture}_linux_hotspot_${version}_${b.build}.tar.gz`;
  return `https://github.com/adoptium/temurin${b.major}-binaries/releases/download/${encodeURIComponent(temurinReleaseName(b))}/${name}`;
}

/** One `Release` of `GET /v3/assets/feature_releases/{feature}/ga`, with the JRE binaries given (already filtered, as the API filters them). */
export function temurinRelease(b: TemurinBuild, jres: { architecture: JavaArchitecture; archive: { size: number; sha256: string } }[]) {
  const name = temurinReleaseName(b);
  const tag = `https://github.com/adoptium/temurin${b.major}-binaries/releases/tag/${encodeURIComponent(name)}`;
  const openjdk = `${versionNumber(b)}+${b.build}-LTS`;
  return {
    binaries: jres.map(({ architecture, archive }) => {
      const link = temurinJreLink(b, architecture);
      return {
        architecture,
        download_count: 0,
        heap_size: "normal",
        image_type: "jre",
        jvm_impl: "hotspot",
        os: "linux",
        package: {
          checksum: archive.sha256,
          checksum_link: `${link}.sha256.txt`,
          download_count: 0,
          link,
          metadata_link: `${link}.json`,
          name: link.slice(link.lastIndexOf("/") + 1),
          signature_link: `${link}.sig`,
          size: archive.size,
        },
        project: "jdk",
        scm_ref: `${name}_adopt`,
        updated_at: b.published,
      };
    }),
    download_count: 0,
    id: createHash("sha1").update(name).digest("base64url").slice(0, 20),
    release_link: tag,
    release_name: name,
    release_type: "ga",
    timestamp: b.published,
    updated_at: b.published,
    vendor: "eclipse",
    version_data: {
      build: b.build,
      major: b.major,
      minor: b.minor,
      openjdk_version: openjdk,
      optional: "LTS",
      security: b.security,
      ...(b.patch ? { patch: b.patch } : {}),
      // Semver has no fourth number: Adoptium folds an emergency release's patch into the build (17.0.4.1+1 is 17.0.4+101).
      semver: `${b.major}.${b.minor}.${b.security}+${(b.patch ?? 0) * 100 + b.build}.0.LTS`,
    },
  };
}
