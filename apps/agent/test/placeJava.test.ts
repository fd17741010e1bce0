import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { adoptiumReleasesUrl, javaRuntimeDir, mirrorSource, OFFLINE_MIRROR_DIR, type AdoptiumRelease, type ArtifactSource, type JavaRuntime, type Manifest } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest } from "@zlh/testing";
import { ensureMachineJre } from "../../../scripts/offlineMirror/machineJre";
import { ArtifactCache } from "../src/placement/cache";
import { JAVA_ROOT_LISTED, placeJava } from "../src/placement/placeJava";
import { placeServer } from "../src/placement/placeServer";
import { SimRuntime } from "../src/runtime/sim";
import { giveToGuest, TEST_IDENTITY } from "./support/guestRoot";
import { readOrder } from "./support/readOrder";
import { recordListings } from "./support/listingReplies";

const SERVER = "7a7e0c1d-3b8f-4b0e-9c55-0f1e2d3c4b5a";
const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");

/** The mirror's Java 17 (the machine's real JRE) as the resolver pins it. */
function java17(): JavaRuntime {
  const jre = ensureMachineJre();
  return { major: 17, release: jre.release, architecture: "x64", url: jre.link, size: jre.size, sha256: jre.sha256, sha512: jre.sha512, path: javaRuntimeDir(17) };
}

/** The mirror's newest Java 21 (a stand-in), pinned from its Adoptium listing as the resolver would. */
async function java21(source: ArtifactSource): Promise<JavaRuntime> {
  const [newest] = await source.fetchJson<AdoptiumRelease[]>(adoptiumReleasesUrl(21, "x64"));
  const pkg = newest!.binaries[0]!.package;
  return { major: 21, release: newest!.release_name, architecture: "x64", url: pkg.link, size: pkg.size, sha256: pkg.checksum!, sha512: sha512(await source.fetchBytes(pkg.link)), path: javaRuntimeDir(21) };
}

/** Every entry under `dir` with its owner and mtime: what a converging re-run must leave exactly as it was. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const st = await lstat(join(dir, name));
    out.push(`${prefix}${name} ${st.uid}:${st.gid} ${st.mtimeMs}`);
    if (st.isDirectory()) out.push(...(await tree(join(dir, name), `${prefix}${name}/`)));
  }
  return out;
}

describe("placing the Java runtime into a container (sim, through the container boundary)", () => {
  const fetched: string[] = [];
  let rt: SimRuntime;
  let cache: ArtifactCache;
  let base: Manifest;
  let vmid = 7200;
  let rootfs: string;
  const spec = (m: Manifest) => ({ vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 40000, rconPort: 40001, minecraftVersion: m.game, loaderVersion: null, serverProperties: {}, manifest: m, rconPassword: "pw" });
  const source = mirrorSource(OFFLINE_MIRROR_DIR, "offline");

  async function container(): Promise<void> {
    vmid += 1;
    await rt.create({ vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    rootfs = join(simRoot, String(vmid), "rootfs");
  }
  let simRoot: string;

  beforeAll(async () => {
    simRoot = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    rt = new SimRuntime({ root: simRoot });
    cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), { ...source, fetchBytes: (url) => (fetched.push(url), source.fetchBytes(url)), fetchStream: (url) => (fetched.push(url), source.fetchStream!(url)) });
    base = await fixtureManifest();
  });

  it("extracts the pinned JRE without its top directory into opt/zlh/java/17, owned by the container's root, and it runs", async () => {
    await container();
    const m = { ...base, java: java17() };
    await rt.withGuest(vmid, (guest) => placeServer(guest, spec(m), m, cache));
    const dir = join(rootfs, "opt/zlh/java/17");
    expect(await readFile(join(dir, ".zlh-release"), "utf8")).toBe(`${m.java.release}\n${m.java.sha512}\n`);
    expect((await readdir(dir)).sort()).toEqual([".zlh-release", "bin", "conf", "legal", "lib", "release"]);
    expect(await readFile(join(dir, "release"), "utf8")).toContain('JAVA_VERSION="17.');
    const owners = new Set((await tree(dir)).map((line) => line.split(" ")[1]));
    expect([...owners]).toEqual([TEST_IDENTITY ? "100000:100000" : `${process.getuid!()}:${process.getgid!()}`]);
    // A real runtime (the test runs it from the host; the agent never executes anything in a container's tree).
    const run = spawnSync(join(dir, "bin/java"), ["-version"], { encoding: "utf8", timeout: 30_000 });
    expect(run.stderr).toMatch(/^openjdk version "17\./);
    expect((await readdir(join(rootfs, "opt/zlh/java"))).sort()).toEqual(["17"]);
  });

  it("converges: a re-run with the same build writes nothing and downloads nothing", async () => {
    await container();
    const m = { ...base, java: java17() };
    await rt.withGuest(vmid, (guest) => placeServer(guest, spec(m), m, cache));
    const before = await tree(join(rootfs, "opt"));
    const downloads = fetched.length;
    expect(await rt.withGuest(vmid, (guest) => placeJava(guest, m, cache))).toBe("kept");
    await rt.withGuest(vmid, (guest) => placeServer(guest, spec(m), m, cache));
    expect(await tree(join(rootfs, "opt"))).toEqual(before);
    expect(fetched.length).toBe(downloads);
  });

  it("places another major when the game changes to one that needs it, and replaces a runtime whose marker is not ours", async () => {
    await container();
    const m17 = { ...base, java: java17() };
    await rt.withGuest(vmid, (guest) => placeServer(guest, spec(m17), m17, cache));
    const m21 = { ...base, java: await java21(source) };
    expect(await rt.withGuest(vmid, (guest) => placeJava(guest, m21, cache))).toBe("placed");
    expect(await readFile(join(rootfs, "opt/zlh/java/21/.zlh-release"), "utf8")).toBe(`jdk-21.0.7+6\n${m21.java.sha512}\n`);
    expect((await lstat(join(rootfs, "opt/zlh/java/21/bin/java"))).mode & 0o111).not.toBe(0);
    expect((await readdir(join(rootfs, "opt/zlh/java"))).sort()).toEqual(["17", "21"]);

    // The customer's root rewrote the marker and left a file: the runtime is placed again, whole.
    await writeFile(join(rootfs, "opt/zlh/java/21/.zlh-release"), "something else\n");
    await writeFile(join(rootfs, "opt/zlh/java/21/planted"), "x");
    expect(await rt.withGuest(vmid, (guest) => placeJava(guest, m21, cache))).toBe("placed");
    expect((await readdir(join(rootfs, "opt/zlh/java/21"))).sort()).toEqual([".zlh-release", "bin", "lib", "release"]);
    expect((await readdir(join(rootfs, "opt/zlh/java"))).sort()).toEqual(["17", "21"]);
  });

  it("places the runtime in a Java root the customer filled with more names than it reads, removing the leftovers among those it read", { timeout: 60_000 }, async () => {
    await container();
    const javaRoot = join(rootfs, "opt/zlh/java");
    await mkdir(javaRoot, { recursive: true });
    await Promise.all(Array.from({ length: JAVA_ROOT_LISTED + 200 }, (_, i) => writeFile(join(javaRoot, `junk-${i}`), "")));
    const leftovers = [".zlh-staging-17-0badc0de", ".zlh-old-17-feedface"];
    for (const l of leftovers) await mkdir(join(javaRoot, l, "bin"), { recursive: true });
    await giveToGuest(rootfs);
    const read = readOrder(javaRoot).slice(0, JAVA_ROOT_LISTED);
    const m = { ...base, java: java17() };
    const replies = await rt.withGuest(vmid, async (guest) => {
      const recorded = recordListings(guest);
      expect(await placeJava(recorded.guest, m, cache)).toBe("placed");
      return recorded.replies;
    });
    expect(replies).toEqual([{ path: "opt/zlh/java", names: JAVA_ROOT_LISTED, complete: false }]);
    expect(await readFile(join(javaRoot, "17/.zlh-release"), "utf8")).toBe(`${m.java.release}\n${m.java.sha512}\n`);
    const left = await readdir(javaRoot);
    for (const l of leftovers) expect(left.includes(l), l).toBe(!read.includes(l));
  });

  it("refuses a runtime path other than /opt/zlh/java/<major>, touching nothing", async () => {
    await container();
    const m = { ...base, java: { ...java17(), path: "/usr/lib/jvm/evil" } };
    await expect(rt.withGuest(vmid, (guest) => placeJava(guest, m, cache))).rejects.toMatchObject({ code: "unsafe_path" });
    expect(await readdir(rootfs)).toEqual([]);
  });

  it("refuses an archive whose sha256 is not the pinned one, even with the right size and sha512 key", async () => {
    await container();
    const fresh = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), source);
    const m = { ...base, java: { ...java17(), sha256: "0".repeat(64) } };
    await expect(rt.withGuest(vmid, (guest) => placeJava(guest, m, fresh))).rejects.toMatchObject({ code: "artifact_mismatch", message: expect.stringContaining("sha256 differs") });
    expect(await readdir(rootfs)).toEqual([]);
  });
});
