import { execFile, spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PctRuntime } from "../src/runtime/pct";

const run = promisify(execFile);
const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");

/**
 * A pct container's disk use from its volume: its init found from the cgroup Proxmox gives it
 * (lxc/<vmid>/ns/init.scope), then one statfs of /proc/<init>/root. The "container" is a real
 * process in a pid namespace of its own, chrooted into a tmpfs of its own (its volume).
 */
describe("pct runtime: disk use from the container's volume", () => {
  let dir: string;
  let volume: string;
  const procs: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-pct-volume-"));
    volume = join(dir, "volume");
    await mkdir(volume);
    await run("mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", volume]);
    await copyFile("/usr/bin/busybox", join(volume, "busybox"));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      p.kill("SIGKILL");
      await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once("exit", r)));
    }
    await run("umount", [volume]).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });

  /** A process as a container's init: pid 1 of a new pid namespace, its root `root` (or the host's). Returns [unshare's pid, the init's]. */
  async function init(root: string | null): Promise<[number, number]> {
    const args = ["--pid", "--fork", "--kill-child", ...(root ? ["chroot", root, "/busybox"] : ["busybox"]), "sleep", "60"];
    const p = spawn("unshare", args, { stdio: "ignore" });
    procs.push(p);
    for (let i = 0; i < 100; i++) {
      const children = (await readFile(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").catch(() => "")).trim();
      if (children) return [p.pid!, Number(children.split(" ")[0])];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("the init did not start");
  }
  const cgroup = async (vmid: number, file: string, pids: number[]) => {
    const at = join(dir, "cg", "lxc", String(vmid), "ns", ...file.split("/").slice(0, -1));
    await mkdir(at, { recursive: true });
    await writeFile(join(at, file.split("/").at(-1)!), pids.map((p) => `${p}\n`).join(""));
  };
  const used = async (path: string) => {
    const s = await statfs(path);
    return (s.blocks - s.bfree) * s.bsize;
  };

  it("reads the volume's used bytes through the init, never a pid that is not one, and follows what the customer writes", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [outer, inner] = await init(volume);
    // unshare itself is in the cgroup too, first: it is pid 1 of no namespace, so it is skipped.
    await cgroup(9950, "init.scope/cgroup.procs", [outer, inner]);
    const before = await rt.volumeUsage(9950);
    expect(before).toBe(await used(volume));
    expect(before).toBeGreaterThan(500_000); // the busybox binary
    // The customer fills its disk and links to the host's root: the figure is its volume's, whatever the links say.
    await writeFile(join(volume, "fill"), Buffer.alloc(8 * 1024 * 1024, 1));
    await run("ln", ["-s", "/", join(volume, "host")]);
    const after = await rt.volumeUsage(9950);
    expect(after! - before!).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(after).toBe(await used(volume));
  });

  it("has no figure for a container whose root is the host's own filesystem, nor for one not running", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [, onHost] = await init(null);
    // A guest without systemd keeps its init in ns/ itself.
    await cgroup(9951, "cgroup.procs", [onHost]);
    expect(await rt.volumeUsage(9951)).toBeNull();
    expect(await rt.volumeUsage(9952)).toBeNull();
    await cgroup(9953, "cgroup.procs", [process.pid]);
    expect(await rt.volumeUsage(9953)).toBeNull();
  });
});
