/**
 * JRE tarballs in Temurin's layout (one top directory `<release>-jre/` with
 * `bin/java`, `lib/`, `release`, ...), packed reproducibly: GNU tar with
 * sorted names, numeric owner 0, a fixed mtime, then gzip with no name or
 * time in its header, so the same tree always gives the same bytes.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const DEADLINE_MS = 180_000;

/** The gzipped tar of `parent/top` (members named `top/...`). */
export function packTree(parent: string, top: string): Buffer {
  const tar = spawnSync(
    "/usr/bin/tar",
    ["--create", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@0", "--format=gnu", "--file=-", "-C", parent, top],
    { maxBuffer: 1 << 30, timeout: DEADLINE_MS, env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } },
  );
  if (tar.status !== 0) throw new Error(`tar of ${join(parent, top)} failed (${tar.signal ?? tar.status}): ${tar.stderr?.toString().trim()}`);
  return gzipSync(tar.stdout, { level: 6 });
}

/**
 * A small stand-in for a Temurin JRE (like the mirror's stand-in jars): the
 * layout and the `release` file of the real one, and a `bin/java` that runs
 * the container's own java if it has one.
 */
export function standInJre(release: string, javaVersion: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "zlh-jre-"));
  try {
    const top = `${release}-jre`;
    mkdirSync(join(dir, top, "bin"), { recursive: true });
    mkdirSync(join(dir, top, "lib"));
    writeFileSync(join(dir, top, "release"), `IMPLEMENTOR="Eclipse Adoptium"\nJAVA_VERSION="${javaVersion}"\nIMAGE_TYPE="JRE"\n`);
    writeFileSync(join(dir, top, "lib", "zerolaghub-fixture.txt"), `ZeroLagHub offline fixture, not the real Temurin JRE ${release}\n`);
    writeFileSync(join(dir, top, "bin", "java"), `#!/bin/sh\n# ZeroLagHub offline fixture, not the real Temurin JRE ${release}.\nexec /usr/bin/java "$@"\n`);
    chmodSync(join(dir, top, "bin", "java"), 0o755);
    return packTree(dir, top);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
