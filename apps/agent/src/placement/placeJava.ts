import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { javaRuntimeDir, type Manifest } from "@zlh/artifacts";
import type { GuestFiles } from "../guest/guestFiles";
import { OpFailure } from "../ops/opFailure";
import type { ArtifactFiles } from "./cache";

/** Where Java runtimes live in the container (relative to its rootfs): one directory per feature release. */
export const JAVA_ROOT = "opt/zlh/java";
/** In a runtime's directory: which build the platform put there (release and sha512 of its archive). */
export const JAVA_MARKER = ".zlh-release";

export type JavaPlacement = "none" | "kept" | "placed";

/**
 * Places the manifest's Java runtime at /opt/zlh/java/<major> inside the
 * container, so the first boot needs no network: the archive comes from the
 * host's verified cache (size, sha512 and Adoptium's sha256 checked) and is
 * extracted through the container boundary, as the container's root, without
 * its top directory (Adoptium's tarballs have one, `jdk-21.0.7+6-jre/`).
 * Converges: a directory whose marker names the same build is left alone;
 * otherwise the runtime is extracted into a staging directory beside it and
 * swapped in by renames, so a failed extract leaves the old runtime whole.
 * Runtimes of other majors are left where they are.
 */
export async function placeJava(guest: GuestFiles, manifest: Manifest, cache: ArtifactFiles, opts: { signal?: AbortSignal } = {}): Promise<JavaPlacement> {
  const java = manifest.java;
  if (!java) return "none";
  if (java.path !== javaRuntimeDir(java.major)) throw new OpFailure("unsafe_path", `refusing Java path ${JSON.stringify(java.path)}: a runtime of Java ${java.major} lives at ${javaRuntimeDir(java.major)}`, false);
  const name = String(java.major);
  const marker = `${java.release}\n${java.sha512}\n`;
  // The customer's root may have replaced the marker with anything: whatever does not read back as ours is replaced.
  const found = await guest.readText(`${JAVA_ROOT}/${name}/${JAVA_MARKER}`, 4096).catch(() => null);
  if (found === marker) return "kept";

  const archive = await cache.ensure(java);
  opts.signal?.throwIfAborted();
  await guest.mkdir(JAVA_ROOT);
  await removeLeftovers(guest);
  const tag = randomBytes(4).toString("hex");
  const staging = `.zlh-staging-${name}-${tag}`;
  const old = `.zlh-old-${name}-${tag}`;
  try {
    await guest.mkdir(`${JAVA_ROOT}/${staging}`);
    await guest.extract(`${JAVA_ROOT}/${staging}`, createReadStream(archive), { stripComponents: 1 });
    await guest.write(`${JAVA_ROOT}/${staging}/${JAVA_MARKER}`, marker);
    opts.signal?.throwIfAborted();
    await guest.swap(JAVA_ROOT, name, staging, old);
  } catch (err) {
    await guest.remove(`${JAVA_ROOT}/${staging}`, true).catch(() => {});
    throw err;
  }
  await guest.remove(`${JAVA_ROOT}/${old}`, true);
  return "placed";
}

/**
 * Entries of the Java root read for leftovers, at most: it holds a runtime per major and what a stopped
 * placement left, but it is the customer's to fill; leftovers past the first this many read stay (disk the
 * customer's own junk already outweighs), and the placement goes on.
 */
export const JAVA_ROOT_LISTED = 1000;

/** Staging and replaced runtimes an earlier placement left when it was stopped half-way. */
async function removeLeftovers(guest: GuestFiles): Promise<void> {
  for (const entry of (await guest.list(JAVA_ROOT, JAVA_ROOT_LISTED))?.names ?? []) {
    if (/^\.zlh-(staging|old)-\d+-[0-9a-f]{8}$/.test(entry)) await guest.remove(`${JAVA_ROOT}/${entry}`, true);
  }
}
