import { randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import { lchown, lstat, mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { mirrorSource, OFFLINE_MIRROR_DIR, type Manifest } from "@zlh/artifacts";
import { markerFor, type LeasedOperation, type OperationSpec } from "@zlh/protocol";
import { fixtureManifest } from "@zlh/testing";
import type { OpContext } from "../../src/ops/context";
import { ArtifactCache } from "../../src/placement/cache";
import type { Runtime } from "../../src/runtime/runtime";
import { SimRuntime } from "../../src/runtime/sim";

export const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";
/** The container root's identity on the host when these tests run as root (an unprivileged container's). */
export const GUEST_UID = process.getuid?.() === 0 ? 100_000 : process.getuid!();

/** A sim host of its own: its runtime, where its containers' files are, and an operation context maker. */
export async function simHost() {
  const root = await mkdtemp(join(tmpdir(), "zlh-boundary-sim-"));
  const state = await mkdtemp(join(tmpdir(), "zlh-boundary-state-"));
  const runtime = new SimRuntime({ root });
  const manifest = await fixtureManifest();
  const artifacts = new ArtifactCache(state, mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
  return {
    runtime,
    manifest,
    backupDir: join(state, "backups"),
    rootfs: (vmid: number) => join(root, String(vmid), "rootfs"),
    serverDir: (vmid: number) => join(root, String(vmid), "rootfs", "srv/minecraft"),
    async create(vmid: number) {
      await runtime.create({ vmid, hostname: `h${vmid}`, memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    },
    ctx(kind: LeasedOperation["kind"], vmid: number, extra: Partial<OperationSpec> = {}, rt: Runtime = runtime): OpContext {
      return opContext(kind, vmid, manifest, artifacts, join(state, "backups"), rt, extra);
    },
  };
}

export function opContext(kind: LeasedOperation["kind"], vmid: number, manifest: Manifest, artifacts: ArtifactCache, backupDir: string, runtime: Runtime, extra: Partial<OperationSpec> = {}): OpContext {
  const spec: OperationSpec = {
    vmid, hostname: `h${vmid}`, memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 1, rconPort: 2, minecraftVersion: "1.21.1",
    loaderVersion: null, serverProperties: {}, manifest, rconPassword: null, ...extra,
  };
  return {
    op: { opId: randomUUID(), token: "1", kind, serverId: SERVER, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(), spec },
    runtime, artifacts, log: pino({ level: "silent" }), signal: new AbortController().signal,
    readyTimeoutMs: 5000, stopTimeoutMs: 1000, backupDir,
  };
}

/** What a test wrote into a container's tree as host root, handed to the container's root as if the customer wrote it (lchown). */
export async function giveToGuest(path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const st = await lstat(path);
  await lchown(path, 100_000, 100_000);
  if (st.isDirectory()) for (const name of await readdir(path)) await giveToGuest(join(path, name));
}

/** The members of a gzipped tar, as GNU tar lists them (`-tvz`, numeric owners). */
export function tarListing(archive: string): string[] {
  return execFileSync("tar", ["-tvzf", archive, "--numeric-owner"], { encoding: "utf8" }).trim().split("\n");
}
