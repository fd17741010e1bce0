import { execFileSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { atGuest, guestRootfs, TEST_IDENTITY } from "./support/guestRoot";

/** A gzipped tar with one top directory, as Adoptium packs a JRE. */
async function jreTarball(): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-tar-"));
  await mkdir(join(dir, "jdk-17.0.15+6-jre", "bin"), { recursive: true });
  await writeFile(join(dir, "jdk-17.0.15+6-jre", "bin", "java"), "#!/bin/sh\n", { mode: 0o755 });
  await writeFile(join(dir, "jdk-17.0.15+6-jre", "release"), 'JAVA_VERSION="17.0.15"\n');
  return execFileSync("/usr/bin/tar", ["--create", "--gzip", "--file=-", "-C", dir, "jdk-17.0.15+6-jre"]);
}
const once = (b: Buffer) => (async function* () { yield b; })();

describe("extracting through the container boundary", () => {
  it("drops leading directories with stripComponents, as the container's root, keeping modes", async () => {
    const rootfs = await guestRootfs();
    const tarball = await jreTarball();
    await atGuest(rootfs, async (guest) => {
      await guest.mkdir("opt/zlh/java/17");
      await guest.extract("opt/zlh/java/17", once(tarball), { stripComponents: 1 });
    });
    const java = await lstat(join(rootfs, "opt/zlh/java/17/bin/java"));
    expect(java.isFile() && (java.mode & 0o777) === 0o755).toBe(true);
    expect(await readFile(join(rootfs, "opt/zlh/java/17/release"), "utf8")).toBe('JAVA_VERSION="17.0.15"\n');
    if (TEST_IDENTITY) expect([java.uid, java.gid]).toEqual([TEST_IDENTITY.uid, TEST_IDENTITY.gid]);
  });

  it("keeps member names whole by default", async () => {
    const rootfs = await guestRootfs();
    await atGuest(rootfs, async (guest) => {
      await guest.mkdir("restore");
      await guest.extract("restore", once(await jreTarball()));
    });
    expect((await lstat(join(rootfs, "restore/jdk-17.0.15+6-jre/bin/java"))).isFile()).toBe(true);
  });

  it("refuses a stripComponents that is not a small integer, extracting nothing", async () => {
    const rootfs = await guestRootfs();
    await atGuest(rootfs, async (guest) => {
      await guest.mkdir("x");
      await expect(guest.extract("x", once(await jreTarball()), { stripComponents: -1 })).rejects.toMatchObject({ code: "protocol" });
      // The worker is still usable: the refused request's data was drained.
      expect(await guest.list("x", 10)).toEqual({ names: [], complete: true });
    });
  });
});
