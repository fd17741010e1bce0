import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, uploadedPackUrl, type ArtifactSource, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { buildMrpack, fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { clearForReinstall } from "../src/placement/clearForReinstall";
import { placeServer, SERVER_DIR } from "../src/placement/placeServer";
import { atGuest, giveToGuest, guestRootfs } from "./support/guestRoot";

const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");
const bytes = (s: string) => new TextEncoder().encode(s);

/** A pack version: its archive and the manifest entries its overrides pin (as packManifestFiles makes them). */
function packVersion(overrides: Record<string, string>) {
  const pack = buildMrpack({ overrides });
  const input = { url: uploadedPackUrl(sha512(pack)), size: pack.byteLength, sha512: sha512(pack) };
  const files = Object.entries(overrides).map(([path, content]) => ({
    path, size: bytes(content).byteLength, sha512: sha512(bytes(content)), kind: "packFile" as const, build: { pack: input, entry: `overrides/${path}` },
  }));
  return { pack, url: input.url, files };
}

/**
 * A pack's overrides are seeded (docs/modpacks.md#overrides): what the
 * customer changed after they were placed survives a reinstall, a settings
 * change and a pack update; what they left alone follows the pack; a mod
 * jar is always the pack's.
 */
describe("a pack's override files and the customer's edits", () => {
  const v1 = packVersion({ "world/level.dat": "the pack's world v1", "config/foo.toml": "foo = 1\n", "config/gone.toml": "gone = 1\n", "config/gone-edited.toml": "x = 1\n", "mods/extra.jar": "a jar v1" });
  const v2 = packVersion({ "world/level.dat": "the pack's world v2", "config/foo.toml": "foo = 2\n", "mods/extra.jar": "a jar v2" });
  let rootfs: string;
  let cache: ArtifactCache;
  let base: Manifest;
  const packs = new Map([[v1.url, v1.pack], [v2.url, v2.pack]]);
  const spec = (m: Manifest, motd = "hello"): OperationSpec => ({
    vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 40000, rconPort: 40001, minecraftVersion: "1.21.1",
    loaderVersion: null, serverProperties: { motd }, manifest: m, rconPassword: "pw",
  });
  const at = (p: string) => join(rootfs, SERVER_DIR, p);
  const place = (m: Manifest, motd?: string) => atGuest(rootfs, (guest) => placeServer(guest, spec(m, motd), m, cache));
  const withPack = (v: typeof v1): Manifest => ({ ...base, files: [...base.files, ...v.files] });

  beforeEach(async () => {
    rootfs = await guestRootfs();
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    const source: ArtifactSource = { kind: mirror.kind, fetchJson: mirror.fetchJson, fetchBytes: async (url) => packs.get(url) ?? mirror.fetchBytes(url) };
    cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), source);
    base = await fixtureManifest([]);
  });

  it("keeps an edited world and config through a settings change and a reinstall, and lists them as preserved", async () => {
    await place(withPack(v1));
    await writeFile(at("world/level.dat"), "MY PRECIOUS WORLD");
    await writeFile(at("config/foo.toml"), "foo = 42 # mine\n");
    const changed = await place(withPack(v1), "changed");
    expect(changed.preserved.sort()).toEqual(["config/foo.toml", "world/level.dat"]);
    expect(await readFile(at("server.properties"), "utf8")).toContain("motd=changed\n");
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD");

    await atGuest(rootfs, (guest) => clearForReinstall(guest, false));
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD"); // the clear leaves seeded files
    const reinstalled = await place(withPack(v1));
    expect(reinstalled.preserved.sort()).toEqual(["config/foo.toml", "world/level.dat"]);
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD");
    expect(await readFile(at("config/foo.toml"), "utf8")).toBe("foo = 42 # mine\n");
    // The platform's own files were placed anew, the unedited override too.
    expect(reinstalled.written).toEqual(expect.arrayContaining(["fabric-server-launch.jar", "mods/extra.jar"]));
    expect(reinstalled.kept).toContain("config/gone.toml");
  });

  it("a pack update replaces and removes what the customer left alone, and keeps what they edited", async () => {
    await place(withPack(v1));
    await writeFile(at("world/level.dat"), "MY PRECIOUS WORLD");
    await writeFile(at("config/gone-edited.toml"), "x = 99 # mine\n");
    await writeFile(at("mods/extra.jar"), "a jar the customer broke");
    const updated = await place(withPack(v2));
    expect(await readFile(at("config/foo.toml"), "utf8")).toBe("foo = 2\n");
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("MY PRECIOUS WORLD");
    expect(await readFile(at("config/gone-edited.toml"), "utf8")).toBe("x = 99 # mine\n");
    await expect(access(at("config/gone.toml"))).rejects.toThrow();
    expect(await readFile(at("mods/extra.jar"), "utf8")).toBe("a jar v2"); // a jar is always the pack's
    expect(updated.removed).toEqual(["config/gone.toml"]);
    expect(updated.preserved.sort()).toEqual(["config/gone-edited.toml", "world/level.dat"]);
    expect(updated.written).toEqual(expect.arrayContaining(["config/foo.toml", "mods/extra.jar"]));

    // The dropped, edited file is the customer's now: a later placement neither lists nor removes it.
    const again = await place(withPack(v2));
    expect(again.preserved).toEqual(["world/level.dat"]);
    expect(await readFile(at("config/gone-edited.toml"), "utf8")).toBe("x = 99 # mine\n");
  });

  it("replaces an edited override again once the customer put back what was placed, and seeds one the customer deleted", async () => {
    await place(withPack(v1));
    await writeFile(at("world/level.dat"), "MY PRECIOUS WORLD");
    expect((await place(withPack(v1))).preserved).toEqual(["world/level.dat"]);
    await writeFile(at("world/level.dat"), "the pack's world v1"); // the same bytes, a new mtime: re-hashed, the pack's again
    await rm(at("config/foo.toml"));
    const updated = await place(withPack(v2));
    expect(updated.preserved).toEqual([]);
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("the pack's world v2");
    expect(await readFile(at("config/foo.toml"), "utf8")).toBe("foo = 2\n");
  });

  it("never overwrites a file the customer had at an override's path before the pack placed it", async () => {
    await place({ ...base });
    await mkdir(at("world"), { recursive: true });
    await writeFile(at("world/level.dat"), "A WORLD FROM BEFORE THE PACK");
    await giveToGuest(at("world"));
    const placed = await place(withPack(v1));
    expect(placed.preserved).toEqual(["world/level.dat"]);
    expect(await readFile(at("world/level.dat"), "utf8")).toBe("A WORLD FROM BEFORE THE PACK");
  });
});
