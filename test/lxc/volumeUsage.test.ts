import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LXC_PATH } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { destroyTestContainers } from "./support/containers";

const run = promisify(execFile);
const VMID = 9912;
const rt = new LxcRuntime();
const rootfs = join(LXC_PATH, String(VMID), "rootfs");
let work: string;

/**
 * Disk use on real LXC, from the running container's volume (one statfs through its init), never
 * a walk: a rootfs on a volume of its own (here an ext4 image, as a Proxmox storage gives each
 * container) has a figure, a rootfs directory on the host's filesystem (the lxc default) has none.
 */
beforeAll(async () => {
  await destroyTestContainers([VMID]);
  work = await mkdtemp(join(tmpdir(), "zlh-lxc-volume-"));
});
afterAll(async () => {
  await run("umount", [rootfs]).catch(() => {});
  await destroyTestContainers([VMID]);
  await rm(work, { recursive: true, force: true });
});

describe("lxc runtime: disk use from the container's volume", () => {
  it("is null on a directory rootfs, the volume's used bytes on a volume of its own, and null once stopped", async () => {
    await rt.create({ vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 512, cpuCores: 1, diskGiB: 1, description: `zlh-server=test-${VMID}` });
    await rt.start(VMID);
    expect(await rt.volumeUsage(VMID)).toBeNull();
    await rt.stop(VMID, 10_000);

    // Give it a volume: the template's tree moved onto an ext4 image mounted at its rootfs.
    const image = join(work, "rootfs.img");
    const staging = join(work, "staging");
    await run("truncate", ["-s", "1G", image]);
    await run("mkfs.ext4", ["-q", "-F", image]);
    await mkdir(staging);
    await run("mount", ["-o", "loop", image, staging]);
    await run("cp", ["-a", `${rootfs}/.`, staging]);
    await run("chown", ["100000:100000", staging]);
    await run("umount", [staging]);
    await run("mount", ["-o", "loop", image, rootfs]);

    await rt.start(VMID);
    const used = async () => {
      const s = await statfs(rootfs);
      return (s.blocks - s.bfree) * s.bsize;
    };
    // The guest's systemd writes its journal meanwhile: the figure is the volume's statfs at its own moment,
    // so it is held between two readings of the same statfs taken just before and just after it.
    const figureOfVolume = async () => {
      const before = await used();
      const figure = await rt.volumeUsage(VMID);
      const after = await used();
      expect(figure).toBeGreaterThanOrEqual(Math.min(before, after));
      expect(figure).toBeLessThanOrEqual(Math.max(before, after));
      return figure!;
    };
    const first = await figureOfVolume();
    // The customer fills its disk from inside: the figure follows, the host's disk is not what it reports.
    await rt.withGuest(VMID, (g) => g.write("fill", Buffer.alloc(16 * 1024 * 1024, 1)));
    await run("sync", ["-f", rootfs]);
    const second = await figureOfVolume();
    expect(second - first).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    const host = await statfs(LXC_PATH);
    expect(second).not.toBe((host.blocks - host.bfree) * host.bsize);

    await rt.stop(VMID, 10_000);
    expect(await rt.volumeUsage(VMID)).toBeNull();
    await run("umount", [rootfs]);
  });
});
