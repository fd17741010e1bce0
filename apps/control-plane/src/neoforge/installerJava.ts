import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { SandboxUnavailableError } from "./runInstaller";
import { locateJava, SandboxRefusedError } from "./sandboxRoot";

/** A JDK's `release` file is a dozen short lines; past this it is not one, and the rest is not read. */
const RELEASE_MAX_BYTES = 64 * 1024;

/**
 * The java named by ZLH_NEOFORGE_JAVA (`name`), by its real path, once it is
 * known to be Java `needs` or newer: the installer and its processors run
 * in it, and a build for a newer Java fails deep in its log
 * (UnsupportedClassVersionError) or leaves a tree made for a Java that was
 * never checked. Its major is read from its home's `release` file
 * (`JAVA_VERSION="21.0.5"`, in every JDK and JRE since 9, Debian's and
 * Temurin's alike): nothing is run to learn it. No such java, or one too old
 * or of no readable version, is SandboxUnavailableError: the machine's to
 * fix, not the build's fault, so the resolution is retried (the server stays
 * pending with this as its lastError) and picks up the fixed setting
 * after a restart, rather than fail every server of that build for good.
 */
export async function installerJava(name: string, needs: number, what: string): Promise<string> {
  const refuse = (why: string) => new SandboxUnavailableError(`${what} needs Java ${needs} or newer to install, and ZLH_NEOFORGE_JAVA is ${JSON.stringify(name)}: ${why}; the installer was not run. Point ZLH_NEOFORGE_JAVA at a Java ${needs} (see docs/server-types.md).`, "");
  let found: { java: string; home: string };
  try {
    found = await locateJava(name);
  } catch (err) {
    if (err instanceof SandboxRefusedError) throw refuse(name.includes("/") ? "no executable file there" : "no such executable on PATH");
    throw err;
  }
  const release = join(found.home, "release");
  const text = await readBounded(release);
  if (text === null) throw refuse(`${found.java} has no ${release} to read its version from`);
  const major = releaseMajor(text);
  if (major === null) throw refuse(`${release} names no JAVA_VERSION`);
  if (major < needs) throw refuse(`${found.java} is Java ${major}`);
  return found.java;
}

/** `JAVA_VERSION="17.0.12"` → 17; the old scheme's `"1.8.0_392"` → 8. */
function releaseMajor(text: string): number | null {
  const m = /^JAVA_VERSION="(\d+)(?:\.(\d+))?/m.exec(text);
  if (!m) return null;
  return m[1] === "1" && m[2] ? Number(m[2]) : Number(m[1]);
}

/** The file's first RELEASE_MAX_BYTES, or null when there is no regular file there (opened non-blocking: a FIFO is never waited on). */
async function readBounded(path: string): Promise<string | null> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!(await file.stat()).isFile()) return null;
    const buf = Buffer.alloc(RELEASE_MAX_BYTES);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await file.close();
  }
}
