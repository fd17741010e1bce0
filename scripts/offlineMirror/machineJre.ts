/**
 * The offline mirror's Java 17: a real JRE, built from this machine's JDK
 * (jlink, as Temurin builds its JREs) when a test or `pnpm dev` first needs
 * it, never committed (tens of MB). Its Adoptium answer (the feature 17
 * listing) is written with it, holding its real size and sha256; both paths
 * are in fixtures/offline-mirror/.gitignore. The build is reproducible (same
 * JDK, same bytes), so concurrent test files writing it at once agree.
 *   pnpm tsx scripts/offlineMirror/machineJre.ts [mirror directory]
 */
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { adoptiumReleasesUrl, mirrorPath, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { temurinJreLink, temurinRelease, temurinReleaseName, type TemurinBuild } from "./adoptiumRelease";
import { packTree } from "./jreArchive";

/** The JDK the JRE is made from; Debian's openjdk-17 by default. */
export const MACHINE_JDK = process.env.ZLH_FIXTURE_JDK ?? "/usr/lib/jvm/java-17-openjdk-amd64";
/** What a server JRE needs beyond java.base (Temurin's JRE has every java.se module; a test JRE stays small). */
const MODULES = "java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.unsupported,jdk.zipfs";

export interface MachineJre {
  release: string;
  link: string;
  size: number;
  sha256: string;
  sha512: string;
}

/**
 * The JDK's version as its `release` file says: JAVA_RUNTIME_VERSION="17.0.15+6-Debian-1deb12u1", or with a
 * fourth number for an emergency release, "17.0.21.1+2-1-deb12u1-Debian" (JEP 322 allows more; none has had them).
 */
function machineBuild(): TemurinBuild {
  if (!existsSync(join(MACHINE_JDK, "bin", "jlink"))) {
    throw new Error(`no JDK at ${MACHINE_JDK} to build the offline mirror's Java 17 from (install openjdk-17-jdk-headless, or set ZLH_FIXTURE_JDK to a JDK 17)`);
  }
  const release = readFileSync(join(MACHINE_JDK, "release"), "utf8");
  const field = (k: string) => new RegExp(`^${k}="([^"]*)"`, "m").exec(release)?.[1];
  const version = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?\+(\d+)/.exec(field("JAVA_RUNTIME_VERSION") ?? "");
  if (!version) throw new Error(`${MACHINE_JDK}/release has no JAVA_RUNTIME_VERSION like 17.0.15+6 or 17.0.21.1+2`);
  const [major, minor, security, patch, build] = version.slice(1).map((n) => (n === undefined ? undefined : Number(n)));
  return { major: major!, minor: minor!, security: security!, ...(patch ? { patch } : {}), build: build!, published: `${field("JAVA_VERSION_DATE") ?? "2025-01-01"}T00:00:00Z` };
}

const sha = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");

function writeAtomic(path: string, body: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, body);
  renameSync(tmp, path);
}

/** Makes sure the mirror holds the machine's JRE and Adoptium's feature 17 listing for it; returns what it pins. */
export function ensureMachineJre(mirrorDir = OFFLINE_MIRROR_DIR): MachineJre {
  const build = machineBuild();
  if (build.major !== 17) throw new Error(`${MACHINE_JDK} is Java ${build.major}, not 17 (set ZLH_FIXTURE_JDK)`);
  const release = temurinReleaseName(build);
  const link = temurinJreLink(build, "x64");
  const archivePath = join(mirrorDir, mirrorPath(link));
  const listingPath = join(mirrorDir, mirrorPath(adoptiumReleasesUrl(17, "x64")));
  if (existsSync(archivePath) && existsSync(listingPath)) {
    const bytes = readFileSync(archivePath);
    const listed = JSON.parse(readFileSync(listingPath, "utf8"))[0]?.binaries?.[0]?.package;
    if (listed?.checksum === sha("sha256", bytes) && listed.size === bytes.byteLength) return { release, link, size: bytes.byteLength, sha256: listed.checksum, sha512: sha("sha512", bytes) };
  }
  const dir = mkdtempSync(join(tmpdir(), "zlh-jre17-"));
  try {
    const top = `${release}-jre`;
    const jlink = spawnSync(
      join(MACHINE_JDK, "bin", "jlink"),
      ["--add-modules", MODULES, "--strip-debug", "--no-man-pages", "--no-header-files", "--output", join(dir, top)],
      { timeout: 180_000, encoding: "utf8" },
    );
    if (jlink.status !== 0) throw new Error(`jlink failed (${jlink.signal ?? jlink.status}): ${jlink.stderr.trim()}`);
    const bytes = packTree(dir, top);
    const digest = { size: bytes.byteLength, sha256: sha("sha256", bytes) };
    writeAtomic(archivePath, bytes);
    writeAtomic(listingPath, JSON.stringify([temurinRelease(build, [{ architecture: "x64", archive: digest }])], null, 2));
    return { release, link, ...digest, sha512: sha("sha512", bytes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const jre = ensureMachineJre(process.argv[2] ?? OFFLINE_MIRROR_DIR);
  console.log(`offline mirror: ${jre.release} (${jre.size} bytes) at ${jre.link}`);
}
