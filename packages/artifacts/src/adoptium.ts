/** Adoptium API v3 (adoptium/api.adoptium.net), where Java runtimes are pinned from. */
export const ADOPTIUM_API = "https://api.adoptium.net/v3";

export type JavaArchitecture = "x64" | "aarch64";

/** The fields of API v3's `Release`, `Binary` and `Package` models that pinning reads (names and nesting as the API serialises them). */
export interface AdoptiumRelease {
  release_name: string;
  release_type: "ga" | "ea";
  vendor: string;
  version_data: { major: number; minor: number; security: number; patch?: number; build: number; semver: string; openjdk_version: string };
  binaries: {
    os: string;
    architecture: string;
    image_type: string;
    jvm_impl: string;
    package: { name: string; link: string; size: number; checksum?: string | null; checksum_link?: string | null; signature_link?: string | null };
  }[];
}

/**
 * `GET /v3/assets/feature_releases/{feature}/ga` for the one kind of build a
 * server runs: Eclipse Temurin, HotSpot, a JRE for Linux on the host's
 * architecture, newest first (the API's default order, asked for anyway).
 * Parameters in a fixed order, so a mirror holds the answer under one path.
 * Adoptium answers 404 when nothing matches (an unknown feature, or no build
 * for the architecture).
 */
export function adoptiumReleasesUrl(major: number, architecture: JavaArchitecture): string {
  const query = new URLSearchParams({
    architecture,
    heap_size: "normal",
    image_type: "jre",
    jvm_impl: "hotspot",
    os: "linux",
    page_size: "10",
    project: "jdk",
    sort_order: "DESC",
    vendor: "eclipse",
  });
  return `${ADOPTIUM_API}/assets/feature_releases/${major}/ga?${query}`;
}
