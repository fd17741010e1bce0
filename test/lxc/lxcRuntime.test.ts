import { readFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LXC_PATH, SUBNET_PREFIX } from "../../apps/agent/src/runtime/lxc/hostLayout";
import { loadAgentConfig } from "../../apps/agent/src/config";
import { createRuntime } from "../../apps/agent/src/runtime/createRuntime";
import { LxcRuntime } from "../../apps/agent/src/runtime/lxc";
import { destroyTestContainers } from "./support/containers";

/**
 * The lxc runtime against real LXC on this host: it refuses where pct
 * refuses, with LXC's wording classified as pct's is, and creates real
 * unprivileged containers on the local-only bridge.
 */
const rt = new LxcRuntime();
const spec = (vmid: number) => ({ vmid, hostname: `zlh-${vmid}`, memoryMiB: 512, cpuCores: 1, diskGiB: 2, description: `zlh-server=test-${vmid}\nline two` });

beforeAll(() => destroyTestContainers());
afterAll(() => destroyTestContainers());

describe("lxc runtime on real LXC", () => {
  it("is what ZLH_RUNTIME=lxc makes the agent use", () => {
    const config = loadAgentConfig({ ZLH_CONTROL_URL: "http://127.0.0.1:3000", ZLH_AGENT_TOKEN: "t", ZLH_RUNTIME: "lxc" });
    expect(config.runtime).toBe("lxc");
    expect(createRuntime(config)).toBeInstanceOf(LxcRuntime);
  });

  it("refuses like pct: missing VMID, existing VMID, double start, destroy while running, stop when stopped; a destroyed VMID is reusable", async () => {
    expect(await rt.inspect(9900)).toBeNull();
    await expect(rt.destroy(9900)).rejects.toMatchObject({ kind: "missing", message: expect.stringContaining("Container is not defined") });
    await expect(rt.start(9900)).rejects.toMatchObject({ kind: "missing" });
    await expect(rt.stop(9900, 1000)).rejects.toMatchObject({ kind: "not_running", message: expect.stringContaining("9900 is not running") });
    await expect(rt.resources(9900)).rejects.toMatchObject({ kind: "missing" });

    await rt.create(spec(9900));
    await expect(rt.create(spec(9900))).rejects.toMatchObject({ kind: "exists", message: expect.stringContaining("Container already exists") });
    expect(await rt.inspect(9900)).toEqual({ vmid: 9900, state: "stopped", description: "zlh-server=test-9900\nline two" });
    await expect(rt.stop(9900, 1000)).rejects.toMatchObject({ kind: "not_running" });

    await rt.start(9900);
    expect((await rt.inspect(9900))?.state).toBe("running");
    await expect(rt.start(9900)).rejects.toMatchObject({ kind: "already_running", message: expect.stringContaining("Container is already running") });
    await expect(rt.destroy(9900)).rejects.toMatchObject({ kind: "running", message: expect.stringContaining("9900 is running") });
    // Read from inside the running container (its mount namespace), then stop.
    expect(await rt.withGuest(9900, (g) => g.readText("etc/hostname", 100))).toBe("localhost\n");
    await rt.stop(9900, 10_000);
    expect((await rt.inspect(9900))?.state).toBe("stopped");

    await rt.destroy(9900);
    expect(await rt.inspect(9900)).toBeNull();
    await rt.create(spec(9900));
    expect((await rt.inspect(9900))?.state).toBe("stopped");
    await rt.destroy(9900);
  });

  it("gives concurrent creates distinct static addresses on the bridge; sets limits, grows the disk record and refuses to shrink it", async () => {
    await Promise.all([9901, 9902, 9903].map((v) => rt.create(spec(v))));
    const addresses = await Promise.all([9901, 9902, 9903].map((v) => rt.address(v)));
    expect(new Set(addresses).size).toBe(3);
    for (const a of addresses) expect(a).toMatch(new RegExp(`^${SUBNET_PREFIX.replaceAll(".", "\\.")}\\.(\\d+)$`));
    expect((await rt.list()).map((c) => c.vmid)).toEqual(expect.arrayContaining([9901, 9902, 9903]));

    expect(await rt.resources(9901)).toEqual({ memoryMiB: 512, cpuCores: 1, diskGiB: 2 });
    await rt.resize(9901, { memoryMiB: 768, cpuCores: 2, diskGiB: 3 });
    expect(await rt.resources(9901)).toEqual({ memoryMiB: 768, cpuCores: 2, diskGiB: 3 });
    expect(await readFile(join(LXC_PATH, "9901/config"), "utf8")).toMatch(new RegExp(`memory\\.(limit_in_bytes|max) = ${768 * 1024 * 1024}`));
    await expect(rt.resize(9901, { memoryMiB: 768, cpuCores: 2, diskGiB: 1 })).rejects.toThrow(/unable to shrink disk size/);
    await Promise.all([9901, 9902, 9903].map((v) => rt.destroy(v)));
  });

  it("never follows a link the container made: a path through a link to a host directory is refused", async () => {
    await rt.create(spec(9904));
    const rootfs = join(LXC_PATH, "9904/rootfs");
    await mkdir(join(rootfs, "srv/minecraft"), { recursive: true });
    await symlink("/etc", join(rootfs, "srv/minecraft/logs"));
    await expect(rt.withGuest(9904, (g) => g.readText("srv/minecraft/logs/hostname", 100))).rejects.toThrow(/srv\/minecraft\/logs is a symlink, not a directory; refused/);
    expect(await rt.withGuest(9904, (g) => g.read("srv/minecraft/absent.log", 0, 100))).toMatchObject({ size: 0, exists: false });
    await rt.destroy(9904);
  });

  it("of two concurrent creates of one VMID, one creates and the other is refused as existing; a crashed create's leftover does not block it", async () => {
    const results = await Promise.allSettled([rt.create(spec(9906)), rt.create(spec(9906))]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { kind: "exists" } });
    await rt.destroy(9906);

    // What a create killed mid-unpack leaves: a partial config and part of a rootfs. A new agent process creates over it.
    await mkdir(join(LXC_PATH, "9907/rootfs/etc"), { recursive: true });
    await writeFile(join(LXC_PATH, "9907/config.partial"), "#zlh.hostname = x\n");
    expect(await rt.inspect(9907)).toBeNull();
    await new LxcRuntime().create(spec(9907));
    expect((await rt.inspect(9907))?.state).toBe("stopped");
    await rt.destroy(9907);
  });

  it("refuses a hostname that is not a DNS label (it would land in the config)", async () => {
    await expect(rt.create({ ...spec(9905), hostname: "a\nlxc.idmap = u 0 0 1" })).rejects.toThrow(/invalid hostname/);
    expect(await rt.inspect(9905)).toBeNull();
  });
});
