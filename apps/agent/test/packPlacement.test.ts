import { createHash } from "node:crypto";
import { access, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, uploadedPackUrl, type ArtifactSource, type BuiltFile, type Manifest } from "@zlh/artifacts";
import type { OperationSpec } from "@zlh/protocol";
import { buildMrpack, fixtureManifest } from "@zlh/testing";
import { prefetchManifest } from "../src/ops/changeFiles";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer, SERVER_DIR } from "../src/placement/placeServer";
import { atGuest, guestRootfs } from "./support/guestRoot";

const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");
const text = (s: string) => new TextEncoder().encode(s);

/** The agent's side of a modpack: overrides extracted from the pinned .mrpack, checked like every built file. */
describe("placing a modpack's overrides", () => {
  const pack = buildMrpack({ overrides: { "config/a.toml": "a = 1\n" }, serverOverrides: { "config/a.toml": "a = 2\n", "kubejs/startup.js": "// js\n" } });
  const packInput = { url: uploadedPackUrl(sha512(pack)), size: pack.byteLength, sha512: sha512(pack) };
  const packFile = (path: string, entry: string, content: string): BuiltFile => ({ path, size: text(content).byteLength, sha512: sha512(text(content)), kind: "packFile", build: { pack: packInput, entry } });
  let rootfs: string;
  let cache: ArtifactCache;
  let fetched: string[];
  let base: Manifest;
  const spec = (m: Manifest): OperationSpec => ({
    vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 40000, rconPort: 40001, minecraftVersion: "1.21.1",
    loaderVersion: null, serverProperties: {}, manifest: m, rconPassword: "pw",
  });

  beforeEach(async () => {
    rootfs = await guestRootfs();
    fetched = [];
    const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
    // The control plane's answer for an uploaded pack; everything else from the offline mirror.
    const fetchBytes = async (url: string) => (fetched.push(url), url === packInput.url ? pack : mirror.fetchBytes(url));
    const source: ArtifactSource = { kind: mirror.kind, fetchJson: mirror.fetchJson, fetchBytes };
    cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), source);
    base = await fixtureManifest([]);
  });

  it("extracts each override from the pack fetched once, server-overrides' copy where the manifest says so", async () => {
    const files = [packFile("config/a.toml", "server-overrides/config/a.toml", "a = 2\n"), packFile("kubejs/startup.js", "server-overrides/kubejs/startup.js", "// js\n")];
    const m: Manifest = { ...base, files: [...base.files, ...files] };
    await prefetchManifest(cache, m, new AbortController().signal);
    expect(fetched.filter((u) => u === packInput.url)).toHaveLength(1); // prefetched before anything is touched
    const report = await atGuest(rootfs, (guest) => placeServer(guest, spec(m), m, cache));
    expect(report.written).toEqual(expect.arrayContaining(["config/a.toml", "kubejs/startup.js"]));
    expect(await readFile(join(rootfs, SERVER_DIR, "config/a.toml"), "utf8")).toBe("a = 2\n");
    expect(await readFile(join(rootfs, SERVER_DIR, "kubejs/startup.js"), "utf8")).toBe("// js\n");
    expect(fetched.filter((u) => u === packInput.url)).toHaveLength(1);
  });

  it("refuses an entry whose bytes are not the pinned ones, and an entry the pack does not have, placing neither", async () => {
    const wrong = { ...packFile("config/a.toml", "overrides/config/a.toml", "a = 2\n") }; // overrides/ holds "a = 1"
    const m: Manifest = { ...base, files: [...base.files, wrong] };
    await expect(atGuest(rootfs, (guest) => placeServer(guest, spec(m), m, cache))).rejects.toMatchObject({ code: "artifact_mismatch", message: expect.stringMatching(/config\/a.toml: the built file differs/) });
    const missing: Manifest = { ...base, files: [...base.files, packFile("config/b.toml", "overrides/config/b.toml", "b\n")] };
    await expect(atGuest(rootfs, (guest) => placeServer(guest, spec(missing), missing, cache))).rejects.toMatchObject({ code: "artifact_mismatch", message: expect.stringMatching(/no entry "overrides\/config\/b.toml"/) });
    const absent = (p: string) => access(join(rootfs, SERVER_DIR, p)).then(() => false, () => true);
    expect(await absent("config/a.toml")).toBe(true);
    expect(await absent("config/b.toml")).toBe(true);
  });
});
