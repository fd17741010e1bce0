import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { markerFor } from "@zlh/protocol";
import { destroy } from "../src/ops/destroy";
import { provision } from "../src/ops/provision";
import { parseLocalAddresses } from "../src/runtime/netnsAddress";
import { parsePctList, PctRuntime } from "../src/runtime/pct";
import { classifyPctFailure } from "../src/runtime/pctErrors";
import { RuntimeError } from "../src/runtime/runtime";
import type { LeasedOperation } from "@zlh/protocol";
import { mirrorSource, OFFLINE_MIRROR_DIR, type Manifest } from "@zlh/artifacts";
import { fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { stopFakeInits } from "./support/fakePct";

const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");
const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";
const OTHER = "11111111-2222-4333-8444-555555555555";

let dir: string;
let rt: PctRuntime;
let manifest: Manifest;

beforeEach(async () => {
  manifest ??= await fixtureManifest();
  dir = await mkdtemp(join(tmpdir(), "zlh-fake-pct-"));
  process.env.FAKE_PCT_DIR = dir;
  rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "local:vztmpl/debian-12.tar.zst", bridge: "vmbr0", lockBackoffMs: 5, lockRetries: 2 });
});

afterEach(() => stopFakeInits(dir));

const calls = async () => (await readFile(join(dir, "calls.log"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as string[]);
const faults = (f: Record<string, { type: string; times: number; message?: string }[]>) => writeFile(join(dir, "faults.json"), JSON.stringify(f));
const spec = { vmid: 5100, hostname: "zlh-5100", memoryMiB: 2048, cpuCores: 2, diskGiB: 8, description: markerFor(SERVER) };

function op(kind: LeasedOperation["kind"], serverId = SERVER): LeasedOperation {
  return {
    opId: "9c2f1a3e-0000-4000-8000-000000000001", token: "7", kind, serverId, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(),
    spec: { vmid: 5100, hostname: "zlh-5100", memoryMiB: 2048, cpuCores: 2, diskGiB: 8, gamePort: 1, rconPort: 2, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw",
      // A static address on loopback: readiness then fails at once, with nothing sent off this machine.
      network: { bridge: "vmbr0", address: "127.0.0.1", prefix: 8, gateway: "127.0.0.1" } },
  };
}
const ctx = (o: LeasedOperation) => ({
  op: o,
  runtime: rt,
  artifacts: new ArtifactCache(dir, mirrorSource(OFFLINE_MIRROR_DIR, "offline")),
  log: pino({ level: "silent" }),
  signal: new AbortController().signal,
  readyTimeoutMs: 50,
  stopTimeoutMs: 1000,
  backupDir: "/nonexistent-backups",
});

describe("pct runtime against a fake pct", () => {
  it("builds Proxmox command lines", async () => {
    await rt.create(spec);
    await rt.start(5100);
    await rt.stop(5100, 30_000);
    await rt.destroy(5100);
    expect(await calls()).toEqual([
      ["create", "5100", "local:vztmpl/debian-12.tar.zst", "--hostname", "zlh-5100", "--memory", "2048", "--cores", "2", "--rootfs", "local-lvm:8",
        "--net0", "name=eth0,bridge=vmbr0,ip=dhcp", "--unprivileged", "1", "--features", "nesting=1", "--description", `zlh-server=${SERVER}`],
      ["start", "5100"],
      ["shutdown", "5100", "--timeout", "30", "--forceStop", "1"],
      ["destroy", "5100", "--purge"],
    ]);
  });

  it("creates with nesting (the container's systemd needs it); the fake refuses other features in pct's words", async () => {
    await rt.create(spec);
    expect(await readFile(join(dir, "cts", "5100.json"), "utf8")).toContain('"features":"nesting=1"');
    const pct = (args: string[]) => promisify(execFile)(FAKE, args, { env: { ...process.env, FAKE_PCT_DIR: dir } }).then(() => "", (e: { stderr: string }) => e.stderr);
    expect(await pct(["create", "5101", "t", "--features", "nestin=1"])).toContain("features.nestin: property is not defined in schema and the schema does not allow additional properties");
    expect(await pct(["create", "5101", "t", "--features", "nesting=2"])).toContain("features.nesting: type check ('boolean') failed - got '2'");
    expect(await rt.inspect(5101)).toBeNull();
  });

  it("classifies refusals: exists, missing, already running, running, locked", async () => {
    await rt.create(spec);
    await expect(rt.create(spec)).rejects.toMatchObject({ kind: "exists" });
    expect(await rt.inspect(5100)).toEqual({ vmid: 5100, state: "stopped", description: `zlh-server=${SERVER}` });
    expect(await rt.inspect(5999)).toBeNull();
    await expect(rt.destroy(5999)).rejects.toMatchObject({ kind: "missing" });
    await rt.start(5100);
    await expect(rt.start(5100)).rejects.toMatchObject({ kind: "already_running" });
    await expect(rt.destroy(5100)).rejects.toMatchObject({ kind: "running" });
    await faults({ start: [{ type: "lock_timeout", times: 10 }] });
    await expect(rt.start(5100)).rejects.toBeInstanceOf(RuntimeError);
    await expect(rt.start(5100)).rejects.toMatchObject({ kind: "locked" });
  });

  it("retries a lock that clears", async () => {
    await faults({ create: [{ type: "lock_timeout", times: 2 }] });
    await rt.create(spec);
    expect((await calls()).filter((c) => c[0] === "create")).toHaveLength(3);
    expect(await rt.inspect(5100)).not.toBeNull();
  });

  it("lists containers with their markers", async () => {
    await rt.create(spec);
    await rt.create({ ...spec, vmid: 5101, description: "not ours" });
    expect((await rt.list()).map((c) => [c.vmid, c.description])).toEqual([[5100, `zlh-server=${SERVER}`], [5101, "not ours"]]);
  });

  it("an inventory reads each container's state from pct list and costs one config call per container", async () => {
    await rt.create(spec);
    await rt.create({ ...spec, vmid: 5101, description: "not ours" });
    await rt.start(5101);
    await writeFile(join(dir, "calls.log"), "");
    expect(await rt.list()).toEqual([
      { vmid: 5100, state: "stopped", description: `zlh-server=${SERVER}` },
      { vmid: 5101, state: "running", description: "not ours" },
    ]);
    expect((await calls()).map((c) => c.slice(0, 2).join(" ")).sort()).toEqual(["config 5100", "config 5101", "list"]);
  });

  it("creates with the control plane's static address, or DHCP on the configured bridge when the spec has no network", async () => {
    await rt.create({ ...spec, network: { bridge: "vmbr1", address: "192.0.2.10", prefix: 24, gateway: "192.0.2.1" } });
    await rt.create({ ...spec, vmid: 5101 });
    const net0 = (await calls()).filter((c) => c[0] === "create").map((c) => c[c.indexOf("--net0") + 1]);
    expect(net0).toEqual(["name=eth0,bridge=vmbr1,ip=192.0.2.10/24,gw=192.0.2.1", "name=eth0,bridge=vmbr0,ip=dhcp"]);
  });

  it("a DHCP container's address is read from its network namespace once its lease comes, never by running anything inside; a static one is the control plane's", async () => {
    await rt.create(spec);
    await rt.start(5100);
    const started = Date.now();
    expect(await rt.address(5100)).toBe("198.51.100.7");
    // Read right after the start, eth0 had no address yet: the runtime waited for the fake's lease (500 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const network = { bridge: "vmbr1", address: "192.0.2.10", prefix: 24, gateway: "192.0.2.1" };
    const before = (await calls()).length;
    expect(await rt.address(5100, network)).toBe("192.0.2.10");
    expect(await calls()).toHaveLength(before); // the database's address: nothing asked
    expect((await calls()).filter((c) => c[0] === "exec")).toEqual([]);
    await rt.stop(5100, 1000);
  });

  it("gives up on a DHCP lease that never comes, with a clear reason; a stopped container has no address", async () => {
    process.env.FAKE_PCT_DHCP_MS = "600000";
    try {
      const impatient = new PctRuntime({ bin: FAKE, storage: "s", template: "t", bridge: "vmbr0", dhcpTimeoutMs: 600 });
      await impatient.create(spec);
      await expect(impatient.address(5100)).rejects.toMatchObject({ kind: "not_running" });
      await impatient.start(5100);
      await expect(impatient.address(5100)).rejects.toThrow("CT 5100 has no IPv4 address from DHCP on vmbr0 after 1 s");
      await impatient.stop(5100, 1000);
    } finally {
      delete process.env.FAKE_PCT_DHCP_MS;
    }
  });

  it("refuses an address a hostile container gives itself that the host would not reach it at (loopback, the host's own)", async () => {
    const hostOwn = parseLocalAddresses(await readFile("/proc/self/net/fib_trie", "utf8")).find((a) => !a.startsWith("127."));
    expect(hostOwn).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const claimed of ["127.0.0.9", hostOwn!]) {
      process.env.FAKE_PCT_DHCP_ADDRESS = claimed;
      process.env.FAKE_PCT_DHCP_MS = "0";
      try {
        await rt.create(spec);
        await rt.start(5100);
        // 127.0.0.9/24 on eth0 puts the namespace's own 127.0.0.1 on eth0's subnet too: either is refused.
        const shown = claimed.startsWith("127.") ? "127\\.0\\.0\\.(1|9)" : claimed.replaceAll(".", "\\.");
        await expect(rt.address(5100)).rejects.toThrow(new RegExp(`^CT 5100 holds ${shown}, which is not a container's address on its bridge; refused$`));
        await rt.stop(5100, 1000);
        await rt.destroy(5100);
      } finally {
        delete process.env.FAKE_PCT_DHCP_ADDRESS;
        delete process.env.FAKE_PCT_DHCP_MS;
      }
    }
  });

  it("parses pct list rows with and without a lock", () => {
    const out = "VMID       Status     Lock         Name\n100        running                 ct1\n101        stopped    mounted      ct2\n";
    expect(parsePctList(out)).toEqual([{ vmid: 100, state: "running" }, { vmid: 101, state: "stopped" }]);
  });

  it("provision: a create that timed out on its lock but went through is continued, not redone", async () => {
    await faults({ create: [{ type: "lock_timeout_after_success", times: 1 }] });
    // No retries inside the runtime: the lock error reaches provision, which must re-check the real state.
    rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "t", bridge: "vmbr0", lockRetries: 0 });
    // Readiness cannot pass against the fake (nothing listens); everything before it must have happened once.
    await expect(provision(ctx(op("provision")))).rejects.toMatchObject({ code: "not_ready", retryable: true });
    const c = await calls();
    expect(c.filter((x) => x[0] === "create")).toHaveLength(1);
    expect(c.filter((x) => x[0] === "start")).toHaveLength(1);
    expect(c.filter((x) => x[0] === "destroy")).toHaveLength(0);
    expect(await readFile(join(dir, "rootfs", "5100", "srv/minecraft/eula.txt"), "utf8")).toBe("eula=true\n");
  });

  it("provision and destroy refuse a container whose marker names another server, touching nothing", async () => {
    await rt.create({ ...spec, description: markerFor(OTHER) });
    await expect(provision(ctx(op("provision")))).rejects.toMatchObject({ code: "vmid_conflict", retryable: false });
    await expect(destroy(ctx(op("destroy")))).rejects.toMatchObject({ code: "vmid_conflict" });
    const c = await calls();
    expect(c.map((x) => x[0]).filter((k) => !["status", "config", "create"].includes(k!))).toEqual([]);
    expect(await rt.inspect(5100)).not.toBeNull();
  });

  it("destroy of a missing container is success; of a running one stops it first", async () => {
    expect(await destroy(ctx(op("destroy")))).toEqual({ alreadyGone: true });
    await rt.create(spec);
    await rt.start(5100);
    expect(await destroy(ctx(op("destroy")))).toEqual({ alreadyGone: false });
    expect((await calls()).map((c) => c[0]).slice(-2)).toEqual(["shutdown", "destroy"]);
    expect(await rt.inspect(5100)).toBeNull();
  });

  it("reads the lock helper's chatter as no refusal, and `CT is locked (mounted)` as no transient lock", () => {
    const destroyRunning = classifyPctFailure("pct destroy 5100", "trying to acquire lock...\nunable to destroy CT 5100 - container is running\n", 255);
    expect(destroyRunning.kind).toBe("running");
    expect(classifyPctFailure("pct start 5100", "CT is locked (mounted)\n", 255).kind).toBe("mounted");
    expect(classifyPctFailure("pct start 5100", "trying to acquire lock...\ncan't lock file '/run/lock/lxc/pve-config-5100.lock' - got timeout\n", 255).kind).toBe("locked");
    expect(classifyPctFailure("pct foo", "trying to acquire lock...\nsomething else went wrong\n", 255).kind).toBe("other");
  });

  it("clears a `mounted` lock left by a crashed agent, and unmounts after a mount that failed", async () => {
    await rt.create(spec);
    await rt.withGuest(5100, async () => {
      throw new Error("the agent crashed while placing");
    }).catch(() => {});
    // A crash before the unmount: the lock stays.
    const file = join(dir, "cts", "5100.json");
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, "utf8")), lock: "mounted" }));
    await expect(rt.start(5100)).rejects.toMatchObject({ kind: "mounted" });
    expect(await rt.withGuest(5100, async (guest) => guest.list("", 100))).toEqual({ names: ["etc", "lib", "sbin", "usr"], complete: true });
    await rt.start(5100); // the lock is gone
    await rt.stop(5100, 1000);

    // A mount that set its lock, then failed: the runtime unmounts, so the container is not left locked.
    await faults({ mount: [{ type: "error_after_success", times: 1, message: "mount: special device /dev/pve/vm-5100-disk-0 does not exist" }] });
    await expect(rt.withGuest(5100, async () => "placed")).rejects.toBeInstanceOf(RuntimeError);
    expect((await calls()).map((c) => c[0]).slice(-2)).toEqual(["mount", "unmount"]);
    await rt.start(5100);
  });

  it("provision reports a VMID that is a VM, or a container on another node, as vmid_conflict instead of retrying", async () => {
    for (const elsewhere of ["VM on pve2", "CT on pve3"]) {
      await writeFile(join(dir, "elsewhere.json"), JSON.stringify({ 5100: elsewhere }));
      await expect(provision(ctx(op("provision")))).rejects.toMatchObject({
        code: "vmid_conflict",
        retryable: false,
        message: expect.stringContaining(`${elsewhere.split(" ")[0]} 5100 already exists on node '${elsewhere.split(" ")[2]}'`),
      });
    }
    expect(await rt.inspect(5100)).toBeNull();
  });

  it("pct shutdown of a missing container says it is not running, as Proxmox does; stop and destroy treat that as done", async () => {
    await expect(rt.stop(5100, 1000)).rejects.toMatchObject({ kind: "not_running" });
    expect(await destroy(ctx(op("destroy")))).toEqual({ alreadyGone: true });
  });
});
