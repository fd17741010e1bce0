import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest, freePort } from "@zlh/testing";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer } from "../src/placement/placeServer";
import { SimRuntime } from "../src/runtime/sim";
import { simAddress } from "../src/runtime/simAddress";
import { simServerPids } from "../../../test/support/processes";

const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";
const MC_SERVER = join(import.meta.dirname, "../src/sim/mcServer.pl");

async function runnableContainer(vmid: number) {
  const root = await mkdtemp(join(tmpdir(), "zlh-sim-start-"));
  const rt = new SimRuntime({ root });
  await rt.create({ vmid, hostname: `zlh-${vmid}`, memoryMiB: 1024, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
  const manifest = await fixtureManifest();
  const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
  const spec = { vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: await freePort(), rconPort: await freePort(), minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw" };
  await rt.withGuest(vmid, (guest) => placeServer(guest, spec, manifest, cache));
  const rootfs = join(root, String(vmid), "rootfs");
  return { rt, rootfs };
}

/**
 * A container runs one server process, whoever starts it: the server records
 * itself under the container's lock (as LXC's monitor does), so concurrent
 * starts refuse like `pct start` and a start whose agent died right after
 * the spawn is still seen running. Regression: a chaos run left a server
 * process no pid file named, and the next start ran a second one.
 */
describe("sim runtime: one server process per container", () => {
  it("three concurrent starts: one runs, two refuse with pct's words, one process", async () => {
    const { rt, rootfs } = await runnableContainer(5301);
    const results = await Promise.allSettled([rt.start(5301), rt.start(5301), rt.start(5301)]);
    try {
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results.filter((r): r is PromiseRejectedResult => r.status === "rejected")) {
        expect(r.reason).toMatchObject({ kind: "already_running", message: "CT 5301 already running" });
      }
      expect(await simServerPids(rootfs)).toHaveLength(1);
    } finally {
      await rt.stop(5301, 2000);
    }
    expect(await simServerPids(rootfs)).toEqual([]);
  });

  it("two agents' starts at once (two processes spawning): the second server refuses, exit 3", async () => {
    const { rt, rootfs } = await runnableContainer(5303);
    const spawnServer = () => {
      const child = spawn("perl", [MC_SERVER, rootfs, simAddress(5303)], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += d));
      return { child, stderr: () => stderr, exited: new Promise<number | null>((r) => child.once("exit", (code) => r(code))) };
    };
    const a = spawnServer();
    const b = spawnServer();
    try {
      const first = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
      expect(await first.exited).toBe(3);
      expect(first.stderr()).toContain("CT 5303 already running");
      const survivor = first === a ? b : a;
      expect(await simServerPids(rootfs)).toEqual([survivor.child.pid]);
      expect(Number(await readFile(join(rootfs, "..", "pid"), "utf8"))).toBe(survivor.child.pid);
    } finally {
      await rt.stop(5303, 2000);
    }
  });

  it("a server spawned by an agent that died at once is still seen running, and a start refuses", async () => {
    const { rt, rootfs } = await runnableContainer(5302);
    // What the runtime's start spawns, and nothing after it (the agent killed right after the spawn).
    const child = spawn("perl", [MC_SERVER, rootfs, simAddress(5302)], { detached: true, stdio: "ignore" });
    child.unref();
    try {
      for (let i = 0; i < 200 && (await rt.inspect(5302))?.state !== "running"; i++) await new Promise((r) => setTimeout(r, 10));
      expect((await rt.inspect(5302))?.state).toBe("running");
      await expect(rt.start(5302)).rejects.toMatchObject({ kind: "already_running" });
      expect(await simServerPids(rootfs)).toEqual([child.pid]);
    } finally {
      await rt.stop(5302, 2000);
    }
  });
});
