import { mkdtemp, readdir, readFile, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { FIXTURE_MODS, fixtureManifest } from "@zlh/testing";
import { GuestFiles } from "../src/guest/guestFiles";
import { ArtifactCache } from "../src/placement/cache";
import { PLACED_RECORD, placeServer, SERVER_DIR } from "../src/placement/placeServer";
import { atGuest, giveToGuest, guestRootfs, TEST_IDENTITY } from "./support/guestRoot";

const spec = (m: Manifest): OperationSpec => ({
  vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 40000, rconPort: 40001, minecraftVersion: "1.21.1",
  loaderVersion: null, serverProperties: {}, manifest: m, rconPassword: "pw",
});

/**
 * A placement of `manifest` whose lease is lost right after it has written
 * `n` of the manifest's files (the guest worker then killed, as a lost
 * lease kills it); resolves once it has failed.
 */
async function placementCutAfter(rootfs: string, manifest: Manifest, cache: ArtifactCache, n: number): Promise<void> {
  const lost = new AbortController();
  let written = 0;
  const record = `${SERVER_DIR}/${PLACED_RECORD}`;
  await expect(
    GuestFiles.scope(rootfs, { identity: TEST_IDENTITY, signal: lost.signal }, (guest) => {
      const cutting = new Proxy(guest, {
        get: (g, key) => {
          if (key === "write") {
            return async (...args: Parameters<GuestFiles["write"]>) => {
              const done = await g.write(...args);
              if (args[0] !== record && ++written === n) lost.abort();
              return done;
            };
          }
          const value = Reflect.get(g, key);
          return typeof value === "function" ? value.bind(g) : value;
        },
      });
      return placeServer(cutting, spec(manifest), manifest, cache, { signal: lost.signal });
    }),
  ).rejects.toThrow();
  expect(written).toBe(n);
}

/** Every regular file under the server directory but the record's own, relative to it. */
async function filesOnDisk(rootfs: string): Promise<string[]> {
  const dir = join(rootfs, SERVER_DIR);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((p) => p !== PLACED_RECORD)
    .sort();
}

const recordedPaths = async (rootfs: string) =>
  (JSON.parse(await readFile(join(rootfs, SERVER_DIR, PLACED_RECORD), "utf8")) as { files: { path: string }[] }).files.map((f) => f.path).sort();

describe("the placement record is written ahead of the files", () => {
  let rootfs: string;
  let cache: ArtifactCache;
  let before: Manifest;
  let after: Manifest;
  beforeEach(async () => {
    rootfs = await guestRootfs();
    cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-record-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    before = await fixtureManifest();
    after = await fixtureManifest([FIXTURE_MODS.fabricApi, FIXTURE_MODS.lithium]);
  });

  it("a first placement cut after any number of files leaves a record listing every file it wrote", async () => {
    for (const n of [1, 2, after.files.length - 1]) {
      const fresh = await guestRootfs();
      await placementCutAfter(fresh, after, cache, n);
      const onDisk = await filesOnDisk(fresh);
      expect(onDisk).toHaveLength(n);
      expect(await recordedPaths(fresh)).toEqual(onDisk);
    }
  });

  it("a change cut part-way: the record keeps the old files and adds the new, and placing the old manifest removes them", async () => {
    await atGuest(rootfs, (guest) => placeServer(guest, spec(before), before, cache));
    await placementCutAfter(rootfs, after, cache, 1);
    const fabricApi = after.files.find((f) => f.path.startsWith("mods/fabric-api-"))!.path;
    expect(await filesOnDisk(rootfs)).toContain(fabricApi);
    expect(await recordedPaths(rootfs)).toEqual([...before.files.map((f) => f.path), fabricApi].sort());
    const back = await atGuest(rootfs, (guest) => placeServer(guest, spec(before), before, cache));
    expect(back.removed).toEqual([fabricApi]);
    expect(await recordedPaths(rootfs)).toEqual(before.files.map((f) => f.path).sort());
  });

  it("a customer's file at a path the cut placement had not reached is in no record, and stays", async () => {
    await atGuest(rootfs, (guest) => placeServer(guest, spec(before), before, cache));
    const lithium = after.files.find((f) => f.path.startsWith("mods/lithium-"))!.path;
    await mkdir(join(rootfs, SERVER_DIR, "mods"), { recursive: true });
    await writeFile(join(rootfs, SERVER_DIR, lithium), "the customer's build");
    await giveToGuest(join(rootfs, SERVER_DIR, "mods"));
    await placementCutAfter(rootfs, after, cache, 1);
    expect(await recordedPaths(rootfs)).not.toContain(lithium);
    await atGuest(rootfs, (guest) => placeServer(guest, spec(before), before, cache));
    expect(await readFile(join(rootfs, SERVER_DIR, lithium), "utf8")).toBe("the customer's build");
  });
});

describe("a record the customer rewrote", () => {
  it("counts as none when it is not a record (files not a list of paths): placement re-hashes and converges", async () => {
    const rootfs = await guestRootfs();
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-record-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    const manifest = await fixtureManifest();
    await atGuest(rootfs, (guest) => placeServer(guest, spec(manifest), manifest, cache));
    for (const text of ['{"files": 5}', '{"files": [null]}', '{"files": [{"path": 7}]}']) {
      await writeFile(join(rootfs, SERVER_DIR, PLACED_RECORD), text);
      const again = await atGuest(rootfs, (guest) => placeServer(guest, spec(manifest), manifest, cache));
      expect(again.kept, text).toEqual(manifest.files.map((f) => f.path));
      expect(await recordedPaths(rootfs)).toEqual(manifest.files.map((f) => f.path).sort());
    }
  });
});
