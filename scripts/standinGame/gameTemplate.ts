import { execFile } from "node:child_process";
import { chmod, copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TEMPLATE_DIR, TEMPLATE_FILE } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { JAVA_MARKER } from "../../apps/agent/src/placement/placeJava";
import type { PinnedJava } from "./pinnedJava";

const run = promisify(execFile);

/** The host's Java 17 (host:prepare installs it); self-contained once its links into /etc are dereferenced. */
export const HOST_JRE = "/usr/lib/jvm/java-17-openjdk-amd64";

/** A Java slot of the template: /opt/zlh/java/<major>, with the marker of the manifest's pinned build when given. */
export interface TemplateJava {
  major: number;
  /** The manifest's pinned runtime: its marker makes placement keep this java as the one it would place. */
  pinned?: PinnedJava;
}

/**
 * A template derived from host:prepare's, for real containers that must run
 * a game offline (the real-container suite's agent test, `pnpm dev
 * --runtime lxc`; ZLH_LXC_TEMPLATE): as an image with Java would, it holds
 * the game's java at /opt/zlh/java/<major>/bin/java for each major asked.
 * That java is a stand-in: a script that runs the host's JRE (copied to
 * /opt/zlh/jre) on the stand-in server (/opt/zlh/standin-server.jar) in
 * place of the jar the unit names, keeping the unit's -Xmx, and refusing as
 * java does when that jar cannot be run (the stand-in checks it, given as
 * -Dzlh.jar: missing, corrupt, no Main-Class; NeoForge's `@<args file>`s
 * go as -Dzlh.argFiles, each with its `@` (`@a.txt@b/c.txt`: the unit's
 * args file paths hold no `@`), and the stand-in reads them as the JVM
 * would; the offline
 * mirror's Fabric jars and its Java 21 and 25 are fixtures, not a game: the
 * marker of the manifest's pinned Java makes placement keep this one).
 * Built in a fresh temporary directory (the caller removes `dir`): the base
 * tarball with the additions appended, owned by root (numeric 0, shifted to
 * the container's root on unpacking).
 */
export async function buildGameTemplate(standinJar: string, javas: readonly TemplateJava[]): Promise<{ template: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-game-template-"));
  const staging = join(dir, "staging");
  const zlh = join(staging, "opt/zlh");
  await mkdir(zlh, { recursive: true });
  // Links into /etc dereferenced; dangling ones (lib/src.zip without the JDK sources) skipped.
  await run("sh", ["-c", 'mkdir -p "$2" && cp -rL "$1"/bin "$1"/lib "$1"/conf "$1"/release "$2" 2>/dev/null; test -x "$2"/bin/java', "sh", HOST_JRE, join(zlh, "jre")], { timeout: 120_000 });
  await copyFile(standinJar, join(zlh, "standin-server.jar"));
  for (const { major, pinned } of javas) {
    await mkdir(join(zlh, `java/${major}/bin`), { recursive: true });
    const java = join(zlh, `java/${major}/bin/java`);
    await writeFile(
      java,
      [
        "#!/bin/sh",
        "# Stand-in (scripts/standinGame/gameTemplate.ts): the stand-in server in place of the jar the unit names, with the unit's heap;",
        "# the stand-in refuses as java would when that jar cannot be run (-Dzlh.jar), or decides over the args files (-Dzlh.argFiles: NeoForge's).",
        'heap="" jar="" args="" prev=""',
        'for a in "$@"; do case "$a" in -Xmx*) heap="$a" ;; @*) args="$args$a" ;; esac; [ "$prev" = "-jar" ] && jar="$a"; prev="$a"; done',
        'exec /opt/zlh/jre/bin/java $heap "-Dzlh.jar=$jar" "-Dzlh.argFiles=$args" -jar /opt/zlh/standin-server.jar nogui',
        "",
      ].join("\n"),
    );
    await chmod(java, 0o755);
    if (pinned) await writeFile(join(zlh, `java/${major}/${JAVA_MARKER}`), `${pinned.release}\n${pinned.sha512}\n`);
  }
  const tar = join(dir, "template.tar");
  const template = join(dir, "template.tar.zst");
  await run("sh", ["-c", 'zstd -q -d -c "$1" > "$2"', "sh", join(TEMPLATE_DIR, TEMPLATE_FILE), tar], { timeout: 120_000 });
  await run("tar", ["--append", "--file", tar, "--numeric-owner", "--owner=0", "--group=0", "-C", staging, "opt"], { timeout: 120_000 });
  await run("zstd", ["-q", "-1", "--rm", tar, "-o", template], { timeout: 120_000 });
  return { template, dir };
}
