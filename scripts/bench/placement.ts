import { randomBytes } from "node:crypto";
import { chown, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isBuilt, mirrorPath, mirrorSource, sha1Hex, sha512Hex, type Manifest, type ManifestFile } from "@zlh/artifacts";
import { fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../../apps/agent/src/placement/cache";
import { GuestFiles } from "../../apps/agent/src/guest/guestFiles";
import { placeServer } from "../../apps/agent/src/placement/placeServer";
import { percentile } from "./stats";

/**
 * Placing a 40-mod manifest into a new server directory from a warm cache
 * (the host already has every file): verified copies, eula, properties and
 * the placed-files record. Mods are 256 KiB of random bytes each.
 */
export async function measureWarmPlacement(runs = 7): Promise<number> {
  const mirror = await mkdtemp(join(tmpdir(), "zlh-bench-mirror-"));
  const base = await fixtureManifest();
  const mods: ManifestFile[] = [];
  for (let i = 0; i < 40; i++) {
    const bytes = randomBytes(256 * 1024);
    const url = `https://cdn.modrinth.com/data/bench${String(i).padStart(4, "0")}/versions/v1/mod-${i}.jar`;
    const path = join(mirror, mirrorPath(url));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    mods.push({ path: `mods/mod-${i}.jar`, url, kind: "mod", size: bytes.byteLength, sha512: sha512Hex(bytes), sha1: sha1Hex(bytes) });
  }
  // Fabric's files and the vanilla jar come from the offline mirror; copy them (and the launcher's input) into this one.
  const offline = mirrorSource((await import("@zlh/artifacts")).OFFLINE_MIRROR_DIR, "offline");
  for (const f of base.files) {
    const url = !isBuilt(f) ? f.url : f.kind === "launcher" ? f.build.installer.url : null;
    if (!url) continue;
    const path = join(mirror, mirrorPath(url));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, await offline.fetchBytes(url));
  }
  const manifest: Manifest = { ...base, files: [...base.files, ...mods] };
  const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-bench-state-")), mirrorSource(mirror));
  const spec = { vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 1, rconPort: 2, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "x" };
  // As in an unprivileged container when run as root: a rootfs of the container's root, placed through the container boundary.
  const identity = process.getuid?.() === 0 ? { uid: 100_000, gid: 100_000 } : null;
  const place = async (root: string) => {
    if (identity) await chown(root, identity.uid, identity.gid);
    return GuestFiles.scope(root, { identity }, (guest) => placeServer(guest, spec, manifest, cache));
  };
  await place(await mkdtemp(join(tmpdir(), "zlh-bench-root-"))); // warms the cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const root = await mkdtemp(join(tmpdir(), "zlh-bench-root-"));
    const t0 = performance.now();
    await place(root);
    times.push(performance.now() - t0);
  }
  return percentile(times, 50);
}
