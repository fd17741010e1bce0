import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TEMPLATE_DIR, TEMPLATE_FILE } from "../../../apps/agent/src/runtime/lxc/hostLayout";
import { JAVA_MARKER } from "../../../apps/agent/src/placement/placeJava";
import { HOST_JRE } from "./hostJre";

const run = promisify(execFile);

/**
 * A template derived from host:prepare's, for the agent's end-to-end test on
 * real containers (ZLH_LXC_TEMPLATE): as an image with Java would, it holds
 * the game's java at /opt/zlh/java/<major>/bin/java. That java is the test
 * double: a script that runs the host's JRE (copied to /opt/zlh/jre) on the
 * stand-in server (/opt/zlh/standin-server.jar) in place of the jar the unit
 * names, keeping the unit's -Xmx (the offline mirror's Fabric jars and its
 * Java 21 are fixtures, not a game: the marker of the manifest's pinned Java
 * makes placement take this one for it);
 * fixtures, not a game. Built in a fresh temporary directory (the caller
 * removes `dir`): the base tarball with the additions appended, owned by
 * root (numeric 0, shifted to the container's root on unpacking).
 */
export async function buildGameTemplate(
  standinJar: string,
  javaMajor: number,
  /** The manifest's pinned runtime: its marker makes placement keep this java as the one it would place. */
  pinned?: { release: string; sha512: string },
): Promise<{ template: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-game-template-"));
  const staging = join(dir, "staging");
  const zlh = join(staging, "opt/zlh");
  await mkdir(join(zlh, `java/${javaMajor}/bin`), { recursive: true });
  // Links into /etc dereferenced; dangling ones (lib/src.zip without the JDK sources) skipped.
  await run("sh", ["-c", 'mkdir -p "$2" && cp -rL "$1"/bin "$1"/lib "$1"/conf "$1"/release "$2" 2>/dev/null; test -x "$2"/bin/java', "sh", HOST_JRE, join(zlh, "jre")], { timeout: 120_000 });
  await copyFile(standinJar, join(zlh, "standin-server.jar"));
  const java = join(zlh, `java/${javaMajor}/bin/java`);
  await writeFile(
    java,
    [
      "#!/bin/sh",
      "# Test double (test/lxc/support/gameTemplate.ts): the stand-in server in place of the jar the unit names, with the unit's heap.",
      'heap=""',
      'for a in "$@"; do case "$a" in -Xmx*) heap="$a" ;; esac; done',
      'exec /opt/zlh/jre/bin/java $heap -jar /opt/zlh/standin-server.jar nogui',
      "",
    ].join("\n"),
  );
  await chmod(java, 0o755);
  if (pinned) await writeFile(join(zlh, `java/${javaMajor}/${JAVA_MARKER}`), `${pinned.release}\n${pinned.sha512}\n`);
  const tar = join(dir, "template.tar");
  const template = join(dir, "template.tar.zst");
  await run("sh", ["-c", 'zstd -q -d -c "$1" > "$2"', "sh", join(TEMPLATE_DIR, TEMPLATE_FILE), tar], { timeout: 120_000 });
  await run("tar", ["--append", "--file", tar, "--numeric-owner", "--owner=0", "--group=0", "-C", staging, "opt"], { timeout: 120_000 });
  await run("zstd", ["-q", "-1", "--rm", tar, "-o", template], { timeout: 120_000 });
  return { template, dir };
}
