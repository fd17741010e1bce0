import { chmod, lstat, mkdtemp, readdir, rename, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest, freePort } from "@zlh/testing";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer } from "../src/placement/placeServer";
import { SimRuntime } from "../src/runtime/sim";
import { simAddress } from "../src/runtime/simAddress";
import { pingServer } from "../src/slp/ping";

const SERVER = "7f1c2a9e-3b4d-4e5f-8a6b-1c2d3e4f5a6b";

async function until(check: () => Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * The simulated server is a customer's process: like one in a real container,
 * it must resolve the customer's links inside the container's tree. Without
 * that, a link `logs -> /tmp/<host dir>` planted by the container's root made
 * the sim server (as uid 100000) create its log in a world-writable host
 * directory, where a real container writes into its own /tmp. Found by the
 * chaos harness's canary (invariant 11). Only an agent running as root makes
 * unprivileged containers (the sim drops and confines only then).
 */
describe("sim runtime: the server process sees only its container's tree", () => {
  it("absolute and ../ links to a world-writable host directory stay inside the container", async () => {
    if (process.getuid?.() !== 0) return; // not root: the sim's containers are the agent's own user's, unconfined
    const root = await mkdtemp(join(tmpdir(), "zlh-sim-confine-"));
    const host = await mkdtemp(join(tmpdir(), "zlh-sim-confine-host-"));
    await chmod(host, 0o1777); // as /tmp is
    const rt = new SimRuntime({ root });
    const vmid = 5311;
    await rt.create({ vmid, hostname: "h", memoryMiB: 512, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    const manifest = await fixtureManifest();
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    const gamePort = await freePort();
    const spec = { vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort, rconPort: await freePort(), minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw" };
    await rt.withGuest(vmid, (guest) => placeServer(guest, spec, manifest, cache));
    const dir = join(root, String(vmid), "rootfs/srv/minecraft");
    // The customer's root: logs/ becomes a link to the host directory (absolute), world/ one to it by ../
    await rename(join(dir, "logs"), join(dir, "logs.mine")).catch(() => {});
    await symlink(host, join(dir, "logs"));
    await symlink(relative(dir, host), join(dir, "world"));
    await rt.start(vmid);
    try {
      expect(await until(() => pingServer(simAddress(vmid), gamePort, 500).then(() => true, () => false), 10_000)).toBe(true);
      expect(await readdir(host)).toEqual([]);
      expect((await lstat(join(dir, "logs"))).isSymbolicLink()).toBe(true);
    } finally {
      await rt.stop(vmid, 2000);
    }
  });
});
