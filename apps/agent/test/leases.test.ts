import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { markerFor, type LeasedOperation } from "@zlh/protocol";
import { fixtureManifest, freePort } from "@zlh/testing";
import { LeaseLost, LeaseTable } from "../src/leases";
import { executeOperation } from "../src/ops/execute";
import { Outbox } from "../src/outbox";
import { ArtifactCache } from "../src/placement/cache";
import { SimRuntime } from "../src/runtime/sim";

const SERVER = "3a4b5c6d-0000-4000-8000-00000000000a";

async function op(token: string, kind: LeasedOperation["kind"] = "provision"): Promise<LeasedOperation> {
  return {
    opId: "9c2f1a3e-0000-4000-8000-0000000000aa", token, kind, serverId: SERVER, generation: 1, attempt: 1, leaseExpiresAt: new Date().toISOString(),
    spec: { vmid: 7300, hostname: "zlh-7300", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort: await freePort(), rconPort: 1, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest: await fixtureManifest(), rconPassword: "pw" },
  };
}

describe("leases on the host", () => {
  it("a lost lease stops its execution before the next side effect", async () => {
    const root = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    const leases = new LeaseTable();
    const o = await op("5");
    const { held } = leases.begin(o)!;
    // The lease is lost while the container is being created (the agent was paused past its TTL, say).
    const runtime = new SimRuntime({ root });
    const create = runtime.create.bind(runtime);
    runtime.create = async (spec) => {
      await create(spec);
      leases.markLost(o.opId);
    };
    const result = await executeOperation({
      op: o, runtime, artifacts: new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline")),
      log: pino({ level: "silent" }), signal: held.abort.signal, readyTimeoutMs: 2000, stopTimeoutMs: 1000, backupDir: "/nonexistent-backups",
    });
    expect(result).toMatchObject({ outcome: "failed", error: { code: "lease_lost" } });
    // Created, then nothing more: no file placed, no server started.
    expect(await runtime.inspect(7300)).toEqual({ vmid: 7300, state: "stopped", description: markerFor(SERVER) });
    expect(await readdir(join(root, "7300", "rootfs"))).toEqual([]);
  });

  it("never runs two executions of one operation: a new grant cancels the old one and waits for it to stop", async () => {
    const leases = new LeaseTable();
    const first = leases.begin(await op("5"))!;
    let firstStopped = false;
    first.held.task = new Promise<void>((resolve) => first.held.abort.signal.addEventListener("abort", () => setTimeout(() => ((firstStopped = true), resolve()), 50)));
    expect(leases.begin(await op("5"))).toBeNull(); // the same lease again: nothing new
    const second = leases.begin(await op("9"))!;
    expect(first.held.abort.signal.reason).toBeInstanceOf(LeaseLost);
    expect(firstStopped).toBe(false);
    await second.after;
    expect(firstStopped).toBe(true);
    // Only the live lease is renewed; a finished one waits for its acknowledgement without being renewed.
    expect(leases.renewable()).toEqual([{ opId: second.held.op.opId, token: "9" }]);
    second.held.done = true;
    expect(leases.renewable()).toEqual([]);
  });

  it("keeps and resends a result it cannot write to disk", async () => {
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    await writeFile(join(state, "results"), "a file where the results folder should be (as good as a full disk)");
    const outbox = new Outbox(state);
    const result = { opId: "9c2f1a3e-0000-4000-8000-0000000000aa", token: "5", outcome: "succeeded" as const, data: {} };
    expect(await outbox.record(result)).toBeInstanceOf(Error);
    expect(outbox.due(Date.now() - 1000)).toEqual([]); // just sent
    expect(outbox.due()).toEqual([result]); // resent until acknowledged
    await outbox.remove(result.opId, result.token);
    expect(outbox.due()).toEqual([]);
  });
});
