import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR, type Manifest } from "@zlh/artifacts";
import { markerFor, type LeasedOperation, type OperationSpec } from "@zlh/protocol";
import { fixtureManifest } from "@zlh/testing";
import { installGameLayer } from "../src/container/gameLayer";
import { executeOperation } from "../src/ops/execute";
import { ArtifactCache } from "../src/placement/cache";
import { PctRuntime } from "../src/runtime/pct";
import { RuntimeError, type Runtime } from "../src/runtime/runtime";
import { SimRuntime } from "../src/runtime/sim";
import { stopFakeInits } from "./support/fakePct";

/**
 * The game unit follows every placement on a runtime whose containers boot
 * an OS (here pct, against the fake): installed before the first start, its
 * heap following the container's memory through a change and its rollback,
 * its java the game's. A sim container gets none.
 */
const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");
const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";
const VMID = 5200;
let dir: string;
let rt: PctRuntime;
let manifest: Manifest;
let artifacts: ArtifactCache;

beforeEach(async () => {
  manifest ??= await fixtureManifest();
  dir = await mkdtemp(join(tmpdir(), "zlh-game-layer-"));
  process.env.FAKE_PCT_DIR = dir;
  rt = new PctRuntime({ bin: FAKE, storage: "local-lvm", template: "local:vztmpl/debian-12.tar.zst", bridge: "vmbr0", lockBackoffMs: 5 });
  artifacts = new ArtifactCache(dir, mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
});
afterEach(() => stopFakeInits(dir));

function op(extra: Partial<OperationSpec> = {}): LeasedOperation {
  return {
    opId: "9c2f1a3e-0000-4000-8000-000000000002", token: "7", kind: "provision", serverId: SERVER, generation: 1, attempt: 1,
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    spec: { vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 2048, cpuCores: 2, diskGiB: 8, gamePort: 1, rconPort: 2, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw", ...extra },
  };
}
const run = (o: LeasedOperation, runtime: Runtime = rt) =>
  executeOperation({ op: o, runtime, artifacts, log: pino({ level: "silent" }), signal: new AbortController().signal, readyTimeoutMs: 50, stopTimeoutMs: 1000, backupDir: "/nonexistent" });
const unit = () => readFile(join(dir, "rootfs", String(VMID), "etc/systemd/system/zlh-server.service"), "utf8");
const calls = async () => (await readFile(join(dir, "calls.log"), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as string[]);

describe("the game layer", () => {
  it("a provision installs and enables the unit before the container's first start: heap from the memory, the game's java, the Fabric launcher", async () => {
    // Nothing answers on the fake, so readiness fails; everything before it happened.
    expect(await run(op())).toMatchObject({ outcome: "failed", error: { code: "not_ready" } });
    expect(await unit()).toContain("ExecStart=/opt/zlh/java/21/bin/java -Xmx1638M -jar fabric-server-launch.jar nogui\n");
    expect(await readFile(join(dir, "rootfs", String(VMID), "etc/systemd/system/multi-user.target.d/zlh-server.conf"), "utf8")).toContain("Wants=zlh-server.service");
    expect(await readFile(join(dir, "rootfs", String(VMID), "etc/passwd"), "utf8")).toMatch(/^minecraft:x:\d+:\d+:/m);
    const c = (await calls()).map((x) => x[0]);
    expect(c.lastIndexOf("unmount")).toBeLessThan(c.indexOf("start"));
    expect(c.indexOf("start")).toBeGreaterThan(-1);
  });

  it("uses the Java the control plane names, and 17 for a game up to 1.20.4", async () => {
    await run(op({ javaMajor: 22 }));
    expect(await unit()).toContain("/opt/zlh/java/22/bin/java ");
    await run(op({ minecraftVersion: "1.20.4", reinstall: { wipe: false } }));
    expect(await unit()).toContain("/opt/zlh/java/17/bin/java ");
  });

  it("uses the Java the manifest pins over the game version's default", async () => {
    const java = { major: 25, release: "jdk-25+36", architecture: "x64" as const, url: "https://example.invalid/jre.tar.gz", size: 1, sha256: "0".repeat(64), sha512: "1".repeat(128), path: "/opt/zlh/java/25" };
    const o = op();
    const ctx = { op: o, runtime: rt, artifacts, log: pino({ level: "silent" }), signal: new AbortController().signal, readyTimeoutMs: 1, stopTimeoutMs: 1, backupDir: "/x" };
    await rt.create({ vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 2048, cpuCores: 2, diskGiB: 8, description: markerFor(SERVER) });
    await installGameLayer(ctx, { minecraftVersion: "1.21.1", manifest: { java } });
    expect(await unit()).toContain("/opt/zlh/java/25/bin/java ");
  });

  it("a change of memory rewrites -Xmx; a change that does not come up is rolled back to the previous heap and game", async () => {
    await run(op());
    const previous = { manifest: { ...manifest, game: "1.20.4" }, serverProperties: {}, memoryMiB: 2048, cpuCores: 2, diskGiB: 8 };
    expect(await run(op({ memoryMiB: 4096, change: { start: false, previous } }))).toMatchObject({ outcome: "succeeded" });
    expect(await unit()).toContain("-Xmx3276M");
    // Started, it does not answer (nothing does on the fake): rolled back, then the rollback's start fails the same way.
    expect(await run(op({ memoryMiB: 1024, change: { start: true, previous: { ...previous, memoryMiB: 3072 } } }))).toMatchObject({ outcome: "failed", error: { code: "rollback_failed" } });
    expect(await unit()).toContain("/opt/zlh/java/17/bin/java -Xmx2457M ");
  });

  it("a rollback stopped by a runtime lock is retryable: final, it left the failed change's files on the host", async () => {
    await run(op());
    const previous = { manifest: { ...manifest, game: "1.20.4" }, serverProperties: {}, memoryMiB: 2048, cpuCores: 2, diskGiB: 8 };
    // The change's own resize passes; the rollback's meets a lock that outlives the runtime's retries (as pct's
    // "can't lock file ... got timeout" does under load).
    let resizes = 0;
    const locking = new Proxy(rt, {
      get(target, prop) {
        if (prop === "resize") {
          return async (...args: Parameters<Runtime["resize"]>) => {
            if (++resizes === 2) throw new RuntimeError("locked", `can't lock file '/run/lock/lxc/pve-config-${VMID}.lock' - got timeout`);
            return target.resize(...args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const change = op({ memoryMiB: 1024, change: { start: true, previous } });
    expect(await run(change, locking)).toMatchObject({ outcome: "failed", retryable: true, error: { code: "rollback_failed" } });
    expect(resizes).toBe(2);
    // The next attempt (the lock gone) rolls back to the previous heap; its start answers nothing on the fake, which is final.
    expect(await run(change)).toMatchObject({ outcome: "failed", retryable: false, error: { code: "rollback_failed" } });
    expect(await unit()).toContain("/opt/zlh/java/17/bin/java -Xmx1638M ");
  });

  it("refuses a container whose template has no systemd, before starting it", async () => {
    await rt.create({ vmid: VMID, hostname: `zlh-${VMID}`, memoryMiB: 2048, cpuCores: 2, diskGiB: 8, description: markerFor(SERVER) });
    await rt.withGuest(VMID, (g) => g.remove("usr/lib/systemd/systemd"));
    const result = await run(op());
    expect(result).toMatchObject({ outcome: "failed", error: { message: expect.stringContaining("no systemd as init") } });
    expect((await calls()).map((x) => x[0])).not.toContain("start");
  });

  it("a sim container (its process is the server) gets no unit", async () => {
    const root = await mkdtemp(join(tmpdir(), "zlh-game-layer-sim-"));
    const sim = new SimRuntime({ root });
    await sim.create({ vmid: VMID, hostname: "h", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    const o = op();
    await installGameLayer({ op: o, runtime: sim, artifacts, log: pino({ level: "silent" }), signal: new AbortController().signal, readyTimeoutMs: 1, stopTimeoutMs: 1, backupDir: "/x" }, o.spec);
    expect(await stat(join(root, String(VMID), "rootfs/etc")).catch(() => null)).toBeNull();
  });
});
