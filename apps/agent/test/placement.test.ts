import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource, type DownloadedFile, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { FIXTURE_MODS, fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer as placeWith, SERVER_DIR } from "../src/placement/placeServer";
import { atGuest, giveToGuest, guestRootfs } from "./support/guestRoot";

/** Placement into `rootfs` through the container boundary, as the runtimes run it. */
const placeServer = (rootfs: string, ...rest: Parameters<typeof placeWith> extends [unknown, ...infer R] ? R : never) =>
  atGuest(rootfs, (guest) => placeWith(guest, ...rest));

/** The offline mirror, counting what is fetched from it. */
function countingSource(): ArtifactSource & { fetched: string[] } {
  const inner = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  const fetched: string[] = [];
  return { ...inner, fetched, fetchBytes: (url) => (fetched.push(url), inner.fetchBytes(url)), fetchStream: (url) => (fetched.push(url), inner.fetchStream!(url)) };
}

describe("placing a manifest into a server directory", () => {
  let rootfs: string;
  let stateDir: string;
  let source: ReturnType<typeof countingSource>;
  let cache: ArtifactCache;
  let manifest: Manifest;
  const spec = (m: Manifest): OperationSpec => ({
    vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 40000, rconPort: 40001, minecraftVersion: "1.21.1",
    loaderVersion: null, serverProperties: { motd: "hello", "max-players": 12 }, manifest: m, rconPassword: "secret-pw",
  });
  const dir = () => join(rootfs, SERVER_DIR);

  beforeEach(async () => {
    rootfs = await guestRootfs();
    stateDir = await mkdtemp(join(tmpdir(), "zlh-state-"));
    source = countingSource();
    cache = new ArtifactCache(stateDir, source);
    manifest = await fixtureManifest([FIXTURE_MODS.fabricApi, FIXTURE_MODS.lithium]);
  });

  it("places every file verified, with eula, server.properties and the platform's record", async () => {
    const report = await placeServer(rootfs, spec(manifest), manifest, cache);
    expect(report.written.sort()).toEqual(manifest.files.map((f) => f.path).sort());
    for (const f of manifest.files) expect((await stat(join(dir(), f.path))).size).toBe(f.size);
    expect(await readFile(join(dir(), "eula.txt"), "utf8")).toBe("eula=true\n");
    const props = await readFile(join(dir(), "server.properties"), "utf8");
    expect(props).toContain("server-port=40000\n");
    expect(props).toContain("rcon.port=40001\n");
    expect(props).toContain("rcon.password=secret-pw\n");
    expect(props).toContain("enable-rcon=true\n");
    expect(props).toContain("motd=hello\n");
    const record = JSON.parse(await readFile(join(dir(), ".zlh/manifest.json"), "utf8"));
    expect(record.files.map((f: { path: string }) => f.path)).toEqual(manifest.files.map((f) => f.path));
    expect(record.manifestHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves correct files alone on a re-run and downloads nothing again (the cache is shared)", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    const fetchedOnce = source.fetched.length;
    const mtimes = await Promise.all(manifest.files.map(async (f) => (await stat(join(dir(), f.path))).mtimeMs));
    const again = await placeServer(rootfs, spec(manifest), manifest, cache);
    expect(again).toEqual({ written: [], kept: manifest.files.map((f) => f.path), removed: [], preserved: [] });
    expect(await Promise.all(manifest.files.map(async (f) => (await stat(join(dir(), f.path))).mtimeMs))).toEqual(mtimes);
    // A second server on the same host: files come from the cache.
    const other = await guestRootfs();
    await placeServer(other, spec(manifest), manifest, cache);
    expect(source.fetched.length).toBe(fetchedOnce);
  });

  it("removes files it placed that the manifest no longer lists, and never touches the customer's files", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    await mkdir(join(dir(), "world"), { recursive: true });
    await writeFile(join(dir(), "world", "level.dat"), "the world");
    await writeFile(join(dir(), "mods", "my-own-mod.jar"), "uploaded by the customer");
    const without = await fixtureManifest([FIXTURE_MODS.fabricApi]);
    const report = await placeServer(rootfs, spec(without), without, cache);
    expect(report.removed).toEqual(["mods/lithium-mc1.21.1-0.13.0.jar"]);
    expect((await readdir(join(dir(), "mods"))).sort()).toEqual(["fabric-api-0.102.1+1.21.1.jar", "my-own-mod.jar"]);
    expect(await readFile(join(dir(), "world", "level.dat"), "utf8")).toBe("the world");
  });

  it("rewrites a placed file that was changed on disk", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    const launcher = join(dir(), "fabric-server-launch.jar");
    await writeFile(launcher, "broken");
    const report = await placeServer(rootfs, spec(manifest), manifest, cache);
    expect(report.written).toEqual(["fabric-server-launch.jar"]);
    expect((await stat(launcher)).size).toBe(manifest.files.find((f) => f.path === "fabric-server-launch.jar")!.size);
  });

  it("refuses path traversal, absolute paths and NUL bytes", async () => {
    for (const path of ["../escape.jar", "mods/../../escape.jar", "/etc/passwd", "mods/a\u0000b.jar"]) {
      const bad = { ...manifest, files: [{ ...manifest.files[0]!, path }] };
      await expect(placeServer(rootfs, spec(bad), bad, cache), path).rejects.toMatchObject({ code: "unsafe_path" });
    }
    expect(await readdir(rootfs)).toEqual(["srv"]);
  });

  it("refuses to write through a symlink that leaves the server directory", async () => {
    const outside = await mkdtemp(join(tmpdir(), "zlh-outside-"));
    await mkdir(dir(), { recursive: true });
    await symlink(outside, join(dir(), "mods"));
    await giveToGuest(rootfs);
    await expect(placeServer(rootfs, spec(manifest), manifest, cache)).rejects.toMatchObject({ code: "unsafe_path" });
    expect(await readdir(outside)).toEqual([]);
  });

  it("detects a corrupted cache entry and fetches the file again", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    const victim = manifest.files.find((f) => f.kind === "mod") as DownloadedFile;
    await writeFile(cache.pathOf(victim.sha512), "bit rot");
    const fresh = new ArtifactCache(stateDir, source); // a restarted agent
    const before = source.fetched.length;
    const other = await guestRootfs();
    await placeServer(other, spec(manifest), manifest, fresh);
    expect(source.fetched.slice(before)).toEqual([victim.url]);
    expect((await stat(join(other, SERVER_DIR, victim.path))).size).toBe(victim.size);
  });

  it("refuses an artifact whose bytes do not match the manifest, and caches nothing", async () => {
    const wrong = { ...manifest, files: [{ ...manifest.files[0]!, sha512: "0".repeat(128) }] };
    await expect(placeServer(rootfs, spec(wrong), wrong, cache)).rejects.toMatchObject({ code: "artifact_mismatch" });
    await expect(stat(cache.pathOf("0".repeat(128)))).rejects.toThrow();
  });

  it("places files owned by the container's root: written as it, nothing chowned by host root", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    const want = process.getuid?.() === 0 ? [100_000, 100_000] : [process.getuid!(), process.getgid!()];
    for (const p of ["fabric-server-launch.jar", "mods", "mods/fabric-api-0.102.1+1.21.1.jar", "server.properties", ".fabric/server", ".zlh/manifest.json", "."]) {
      const st = await lstat(join(dir(), p));
      expect([st.uid, st.gid], p).toEqual(want);
    }
  });

  it("replaces a placed file swapped for a symlink instead of writing or hashing through it", async () => {
    await placeServer(rootfs, spec(manifest), manifest, cache);
    const outside = join(await mkdtemp(join(tmpdir(), "zlh-outside-")), "target");
    await writeFile(outside, "host file");
    const victim = manifest.files.find((f) => f.kind === "mod")!;
    await rm(join(dir(), victim.path));
    await symlink(outside, join(dir(), victim.path));
    // The link is replaced by the verified file (a rename replaces the link itself); nothing outside is touched.
    const report = await placeServer(rootfs, spec(manifest), manifest, cache);
    expect(report.written).toEqual([victim.path]);
    expect((await lstat(join(dir(), victim.path))).isFile()).toBe(true);
    expect(await readFile(outside, "utf8")).toBe("host file");
  });

  it("refuses a link planted at eula.txt, never reading or writing through it", async () => {
    const outside = join(await mkdtemp(join(tmpdir(), "zlh-outside-")), "target");
    await writeFile(outside, "host file");
    await mkdir(dir(), { recursive: true });
    await symlink(outside, join(dir(), "eula.txt"));
    await giveToGuest(rootfs);
    // Anything but a regular file where one is read is refused, with its path and type.
    await expect(placeServer(rootfs, spec(manifest), manifest, cache)).rejects.toMatchObject({ code: "not_regular_file", message: expect.stringContaining("srv/minecraft/eula.txt is a symlink") });
    expect(await readFile(outside, "utf8")).toBe("host file");
  });
});
