import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest } from "@zlh/testing";
import { logs } from "../src/ops/logs";
import { ArtifactCache } from "../src/placement/cache";
import { mapBounded } from "../src/runtime/mapBounded";
import { PctRuntime } from "../src/runtime/pct";
import { stopFakeInits } from "./support/fakePct";
import { opContext, SERVER } from "./support/opHarness";

const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");
let dir: string;
afterEach(() => stopFakeInits(dir));

describe("one owner of a container's mount at a time", () => {
  it("reads a stopped container's log beside set, resize and start without `CT is locked (mounted)`", { timeout: 60_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-fake-pct-"));
    process.env.FAKE_PCT_DIR = dir;
    const rt = new PctRuntime({ bin: FAKE, storage: "s", template: "t", bridge: "b", lockRetries: 0 });
    await rt.create({ vmid: 5300, hostname: "h", memoryMiB: 512, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    const state = await mkdtemp(join(tmpdir(), "zlh-mount-"));
    const ctx = opContext("logs", 5300, await fixtureManifest(), new ArtifactCache(state, mirrorSource(OFFLINE_MIRROR_DIR, "offline")), state, rt, { logs: { tail: 10 } });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([logs(ctx), logs(ctx), rt.resize(5300, { memoryMiB: 1024 + round, cpuCores: 2, diskGiB: 1 }), logs(ctx)]);
      expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok", "ok", "ok"]);
    }
    const [, started] = await Promise.allSettled([logs(ctx), rt.start(5300), logs(ctx)]);
    expect(started.status).toBe("fulfilled");
    await rt.stop(5300, 1000);
    expect(await rt.resources(5300)).toEqual({ memoryMiB: 1026, cpuCores: 2, diskGiB: 1 });
  });
});

describe("bounded fan-out", () => {
  it("runs at most `limit` at once and keeps the order", async () => {
    let running = 0;
    let most = 0;
    const out = await mapBounded([...Array(20).keys()], 4, async (i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running--;
      return i * 2;
    });
    expect(most).toBe(4);
    expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
  });
});
