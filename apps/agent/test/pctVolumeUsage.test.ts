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
 * A pct container's disk use from its volume: its init as `pct status --verbose` names it (the fake
 * pct prints the pid its state file holds, as pve-container prints lxc-info's), then one statfs of
 * /proc/<init>/root. The "container" is a real process in a pid namespace of its own, chrooted into a
 * tmpfs of its own (its volume); its cgroup (lxc/<vmid>) is a directory the test writes.
 */
describe("pct runtime: disk use from the container's volume", () => {
  let dir: string;
  let volume: string;
  const procs: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-pct-volume-"));
    process.env.FAKE_PCT_DIR = join(dir, "pct");
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
  /** A running container as pct knows it: its state (the init's pid) and the cgroup Proxmox gives it. */
  const running = async (vmid: number, pid: number) => {
    await mkdir(join(dir, "pct", "cts"), { recursive: true });
    await writeFile(join(dir, "pct", "cts", `${vmid}.json`), JSON.stringify({ vmid, status: "running", pid, hostname: `ct${vmid}` }));
    await mkdir(join(dir, "cg", "lxc", String(vmid)), { recursive: true });
    await writeFile(join(dir, "cg", "lxc", String(vmid), "memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  };
  const pctCalls = async () => (await readFile(join(dir, "pct", "calls.log"), "utf8").catch(() => "")).split("\n").filter(Boolean).length;
  const used = async (path: string) => {
    const s = await statfs(path);
    return (s.blocks - s.bfree) * s.bsize;
  };

  it("reads the volume's used bytes through the init pct names, and follows what the customer writes", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [, inner] = await init(volume);
    await running(9950, inner);
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

  it("is not fooled by a namespace init the customer plants in its own cgroup, rooted in an empty filesystem", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [, inner] = await init(volume);
    await writeFile(join(volume, "fill"), Buffer.alloc(8 * 1024 * 1024, 1));
    // The customer's systemd owns lxc/<vmid>/ns: a pid-namespace init of its own, first in init.scope,
    // chrooted into a nearly empty tmpfs.
    const decoy = join(dir, "decoy");
    await mkdir(decoy);
    await run("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", decoy]);
    try {
      await copyFile("/usr/bin/busybox", join(decoy, "busybox"));
      const [, fake] = await init(decoy);
      await cgroup(9954, "init.scope/cgroup.procs", [fake, inner]);
      await running(9954, inner);
      const figure = await rt.volumeUsage(9954);
      expect(figure).toBe(await used(volume));
      expect(figure).toBeGreaterThan(8 * 1024 * 1024);
    } finally {
      for (const p of procs.splice(0)) p.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 100));
      await run("umount", ["-l", decoy]).catch(() => {});
    }
  });

  it("asks pct once per container start, and again when the init changes", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [, first] = await init(volume);
    await running(9955, first);
    for (let i = 0; i < 5; i++) expect(await rt.volumeUsage(9955)).toBe(await used(volume));
    expect(await pctCalls()).toBe(1);
    // A restart: the old init is gone, pct names the new one.
    const [, second] = await init(volume);
    procs[0]!.kill("SIGKILL");
    await new Promise((r) => procs[0]!.once("exit", r));
    await running(9955, second);
    expect(await rt.volumeUsage(9955)).toBe(await used(volume));
    expect(await pctCalls()).toBe(2);
  });

  it("has no figure for a container whose root is the host's own filesystem, nor for one not running", async () => {
    const rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", cgroupRoot: join(dir, "cg") });
    const [, onHost] = await init(null);
    await running(9951, onHost);
    expect(await rt.volumeUsage(9951)).toBeNull();
    // Not running: no cgroup, and no pct call for it.
    const calls = await pctCalls();
    expect(await rt.volumeUsage(9952)).toBeNull();
    expect(await pctCalls()).toBe(calls);
  });
});
