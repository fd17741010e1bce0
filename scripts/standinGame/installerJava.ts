/**
 * A stand-in Java home for the control plane's NeoForge installer
 * (ZLH_NEOFORGE_JAVA), as the offline mirror's Java 21 and 25 are for the
 * game: the stand-in games are Minecraft 1.21.1, whose Java (Mojang's
 * javaVersion) is 21, and this machine's JDK may be 17, which runs the
 * stand-in installer just as well. Its `release` says Java `major`; its
 * bin/java is a script running the machine's java; the rest of its tree is
 * the machine JDK's, as links (`cp -rs`), so the installer's sandbox shows
 * what those point at (Debian's conf/ in /etc/java-17-openjdk) as it would
 * for the real home. Made once per process and major, removed at exit.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MACHINE_JDK } from "../offlineMirror/machineJre";

const made = new Map<number, string>();

/** The stand-in's bin/java, by its absolute path. */
export function standinInstallerJava(major = 21): string {
  const known = made.get(major);
  if (known) return known;
  const base = mkdtempSync(join(tmpdir(), `zlh-installer-java${major}-`));
  process.on("exit", () => rmSync(base, { recursive: true, force: true }));
  // The installer runs as nobody when the control plane is root: the stand-in must be readable by it.
  chmodSync(base, 0o755);
  const machine = realpathSync(MACHINE_JDK);
  const home = join(base, "home");
  execFileSync("cp", ["-rs", machine, home]);
  const java = join(home, "bin", "java");
  rmSync(java);
  writeFileSync(java, `#!/bin/sh\nexec ${join(machine, "bin", "java")} "$@"\n`, { mode: 0o755 });
  rmSync(join(home, "release"), { force: true });
  writeFileSync(join(home, "release"), `IMPLEMENTOR="ZeroLagHub stand-in"\nJAVA_VERSION="${major}.0.0"\n`);
  made.set(major, java);
  return java;
}
