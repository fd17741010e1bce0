import { lstat, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { isBuilt, manifestHash, mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource, type Manifest } from "@zlh/artifacts";
import { markerFor, type LeasedOperation, type OperationSpec } from "@zlh/protocol";
import { FIXTURE_MODS, fixtureManifest, freePort } from "@zlh/testing";
import type { GuestFiles } from "../src/guest/guestFiles";
import { executeOperation } from "../src/ops/execute";
import { ArtifactCache } from "../src/placement/cache";
import { placeServer, SERVER_DIR } from "../src/placement/placeServer";
import type { Runtime } from "../src/runtime/runtime";
import { SimRuntime } from "../src/runtime/sim";
import { giveToGuest } from "./support/guestRoot";

const SERVER = "6a1f0c3e-2b7d-4c8e-9f10-3d5e7a9b1c2d";
const log = pino({ level: "silent" });

/** The offline mirror, except for the URLs in `failing`, whose download fails as a dead mirror's would. */
function sourceFailing(failing: Set<string>): ArtifactSource {
  const inner = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  const fail = (url: string) => Promise.reject(new Error(`GET ${url}: 503`));
  return { ...inner, fetchBytes: (url) => (failing.has(url) ? fail(url) : inner.fetchBytes(url)), fetchStream: (url) => (failing.has(url) ? fail(url) : inner.fetchStream!(url)) };
}

/**
 * A change from the bare fixture (no mods) to one with fabric-api and
 * lithium, on a simulated container that runs the old manifest. In path
 * order fabric-api is placed before lithium, so a failure at lithium leaves
 * fabric-api on disk half-way through the change.
 */
async function serverWithChange(vmid: number) {
  const simRoot = await mkdtemp(join(tmpdir(), "zlh-change-rt-"));
  const rt = new SimRuntime({ root: simRoot });
  await rt.create({ vmid, hostname: `zlh-${vmid}`, memoryMiB: 1024, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
  const failing = new Set<string>();
  const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-change-cache-")), sourceFailing(failing));
  const before = await fixtureManifest();
  const after = await fixtureManifest([FIXTURE_MODS.fabricApi, FIXTURE_MODS.lithium]);
  const [gamePort, rconPort] = [await freePort(), await freePort()];
  const spec = (m: Manifest, props: Record<string, string>): OperationSpec => ({
    vmid, hostname: `zlh-${vmid}`, memoryMiB: 1024, cpuCores: 1, diskGiB: 1, gamePort, rconPort, minecraftVersion: "1.21.1",
    loaderVersion: null, serverProperties: props, manifest: m, rconPassword: "pw",
  });
  const rootfs = join(simRoot, String(vmid), "rootfs");
  await rt.withGuest(vmid, (guest) => placeServer(guest, spec(before, { motd: "before" }), before, cache));
  const dir = join(rootfs, SERVER_DIR);
  const path = (slug: string) => after.files.find((f) => f.path.startsWith(`mods/${slug}-`))!.path;
  const urlOf = (slug: string) => {
    const file = after.files.find((f) => f.path === path(slug));
    if (!file || isBuilt(file)) throw new Error(`no downloaded ${slug}`);
    return file.url;
  };
  const changeOp = (start: boolean, attempt = 1, to = after, generation = 2): LeasedOperation => ({
    opId: "7c9e6679-7425-40de-944b-e07fc1f90ae7", token: "t".repeat(32), kind: "provision", serverId: SERVER, generation, attempt,
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    spec: {
      ...spec(to, { motd: "after" }),
      memoryMiB: 2048,
      change: { start, previous: { manifest: before, serverProperties: { motd: "before" }, memoryMiB: 1024, cpuCores: 1, diskGiB: 1 } },
    },
  });
  const run = (op: LeasedOperation, signal = new AbortController().signal, artifacts = cache, runtime: Runtime = rt) =>
    executeOperation({ op, runtime, artifacts, log, signal, readyTimeoutMs: 20_000, stopTimeoutMs: 2_000, backupDir: "/nonexistent" });
  const record = async () => JSON.parse(await readFile(join(dir, ".zlh/manifest.json"), "utf8")) as { manifestHash: string; files: { path: string }[] };
  const exists = async (p: string) => (await lstat(join(dir, p)).catch(() => null)) !== null;
  /**
   * A directory the customer makes at a mod's path, as the container's root:
   * no file can be placed there (the boundary replaces a link at a wanted
   * path, but refuses a directory).
   */
  const blockWithDirectory = async (slug: string) => {
    await mkdir(join(dir, path(slug)), { recursive: true });
    await writeFile(join(dir, path(slug), "notes.txt"), "the customer's");
    await giveToGuest(join(dir, "mods"));
  };
  return { rt, vmid, cache, failing, before, after, rootfs, urlOf, dir, path, changeOp, run, record, exists, spec, blockWithDirectory };
}

/** `guest`, except that the lease is lost (`lost` aborted) right after `path` was written through it. */
function cutAfterWriting(guest: GuestFiles, path: string, lost: AbortController): GuestFiles {
  return new Proxy(guest, {
    get: (g, key) => {
      if (key === "write") {
        return async (...args: Parameters<GuestFiles["write"]>) => {
          const written = await g.write(...args);
          if (args[0] === path) lost.abort();
          return written;
        };
      }
      const value = Reflect.get(g, key);
      return typeof value === "function" ? value.bind(g) : value;
    },
  });
}

/** On disk and in the record: exactly the old manifest, nothing of the new one. */
async function expectOldManifestOnly(s: Awaited<ReturnType<typeof serverWithChange>>) {
  const record = await s.record();
  expect(record.manifestHash).toBe(manifestHash(s.before));
  expect(record.files.map((f) => f.path)).toEqual(s.before.files.map((f) => f.path));
  expect(await s.exists(s.path("fabric-api"))).toBe(false);
  expect(await readFile(join(s.dir, "server.properties"), "utf8")).toContain("motd=before\n");
  expect((await s.rt.resources(s.vmid)).memoryMiB).toBe(1024);
}

describe("a change that fails part-way leaves the old manifest, fully, and says so", () => {
  const started: Awaited<ReturnType<typeof serverWithChange>>[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.rt.stop(s.vmid, 2_000).catch(() => undefined);
  });

  it("a mod whose download fails: the running server is not touched, and no new mod is on disk", async () => {
    const s = await serverWithChange(5401);
    started.push(s);
    await s.rt.start(s.vmid);
    s.failing.add(s.urlOf("lithium"));
    const result = await s.run(s.changeOp(true));
    expect(result.outcome).toBe("succeeded");
    expect(result.data).toMatchObject({ rolledBack: true, reason: expect.stringMatching(/could not be fetched.*503/) });
    await expectOldManifestOnly(s);
    expect((await s.rt.inspect(s.vmid))?.state).toBe("running");
  });

  it("a path the customer made a directory: the mods placed before it are removed, the server starts as before", async () => {
    const s = await serverWithChange(5402);
    started.push(s);
    await s.blockWithDirectory("lithium");
    await s.rt.start(s.vmid);
    const result = await s.run(s.changeOp(true));
    expect(result.outcome).toBe("succeeded");
    expect(result.data).toMatchObject({ rolledBack: true, reason: expect.stringMatching(/is a directory/), version: "1.21.1" });
    expect(result.data).not.toHaveProperty("failedWith"); // no game ended: no crash for the control plane to record
    await expectOldManifestOnly(s);
    expect(await readFile(join(s.dir, s.path("lithium"), "notes.txt"), "utf8")).toBe("the customer's");
    expect((await s.rt.inspect(s.vmid))?.state).toBe("running");
  });

  it("a server wanted stopped whose placement fails is rolled back too, and left stopped", async () => {
    const s = await serverWithChange(5403);
    await s.blockWithDirectory("lithium");
    const result = await s.run(s.changeOp(false));
    expect(result.data).toMatchObject({ rolledBack: true, started: false });
    await expectOldManifestOnly(s);
    expect((await s.rt.inspect(s.vmid))?.state).toBe("stopped");
  });

  it("an attempt that lost its lease half-way, then the next attempt failing: nothing of either stays behind", async () => {
    const s = await serverWithChange(5404);
    started.push(s);
    // The first attempt's placement, cut by its lost lease right after fabric-api was written.
    const lost = new AbortController();
    const cut = (guest: GuestFiles) => cutAfterWriting(guest, `${SERVER_DIR}/${s.path("fabric-api")}`, lost);
    await expect(s.rt.withGuest(s.vmid, (guest) => placeServer(cut(guest), s.changeOp(true).spec, s.after, s.cache, { signal: lost.signal }), lost.signal)).rejects.toThrow();
    expect(await s.exists(s.path("fabric-api"))).toBe(true);
    expect((await s.record()).manifestHash).toBe(manifestHash(s.before));
    // The next attempt finds the server stopped, and lithium cannot be fetched.
    s.failing.add(s.urlOf("lithium"));
    const result = await s.run(s.changeOp(true, 2));
    expect(result.data).toMatchObject({ rolledBack: true, version: "1.21.1" });
    await expectOldManifestOnly(s);
    expect((await s.rt.inspect(s.vmid))?.state).toBe("running");
  });

  it("a customer's own file at a path the change never reached is left alone by the rollback", async () => {
    const s = await serverWithChange(5405);
    await mkdir(join(s.dir, "mods"), { recursive: true });
    await writeFile(join(s.dir, s.path("fabric-api")), "the customer's build");
    await giveToGuest(join(s.dir, "mods"));
    // The change fails before any file is placed: the disk cannot shrink (pct's refusal).
    const op = s.changeOp(false);
    op.spec.diskGiB = 0;
    const result = await s.run(op);
    expect(result.data).toMatchObject({ rolledBack: true, reason: expect.stringMatching(/shrink/) });
    expect(await readFile(join(s.dir, s.path("fabric-api")), "utf8")).toBe("the customer's build");
    expect((await s.record()).manifestHash).toBe(manifestHash(s.before));
  });

  /**
   * The first attempt of the change, cut by its lost lease right after it
   * wrote fabric-api (the change's own runtime, watched): on disk then,
   * fabric-api, and in the record the old manifest with fabric-api pending
   * (written ahead of it).
   */
  async function attemptDiesPartWay(s: Awaited<ReturnType<typeof serverWithChange>>) {
    const lost = new AbortController();
    const fabricApi = `${SERVER_DIR}/${s.path("fabric-api")}`;
    const watched = new Proxy(s.rt, {
      get: (rt, key) => {
        if (key === "withGuest") {
          return (vmid: number, fn: (guest: GuestFiles) => Promise<unknown>, signal?: AbortSignal) =>
            rt.withGuest(vmid, (guest) => fn(cutAfterWriting(guest, fabricApi, lost)), signal);
        }
        const value = Reflect.get(rt, key);
        return typeof value === "function" ? value.bind(rt) : value;
      },
    });
    const result = await s.run(s.changeOp(true), lost.signal, s.cache, watched);
    expect(result.outcome).toBe("failed");
    expect(await s.exists(s.path("fabric-api"))).toBe(true);
    expect((await s.record()).manifestHash).toBe(manifestHash(s.before));
    expect((await s.record()).files.map((f) => f.path)).toContain(s.path("fabric-api"));
  }

  it("an attempt that died part-way, its change then superseded: the next change removes what it left", async () => {
    const s = await serverWithChange(5406);
    started.push(s);
    await attemptDiesPartWay(s);
    // Superseded: the control plane restores the old settings, and a later change asks for lithium only.
    const lithiumOnly = await fixtureManifest([FIXTURE_MODS.lithium]);
    const result = await s.run(s.changeOp(true, 1, lithiumOnly, 4));
    expect(result.data).toMatchObject({ applied: true });
    expect((await s.record()).manifestHash).toBe(manifestHash(lithiumOnly));
    expect(await s.exists(s.path("lithium"))).toBe(true);
    expect(await s.exists(s.path("fabric-api"))).toBe(false);
  });

  it("an attempt that died part-way, its change then superseded: the next reinstall removes what it left", async () => {
    const s = await serverWithChange(5407);
    started.push(s);
    await attemptDiesPartWay(s);
    const reinstall = s.changeOp(true, 1, s.before, 4);
    delete reinstall.spec.change;
    reinstall.spec.reinstall = { wipe: false };
    reinstall.spec.serverProperties = { motd: "before" };
    reinstall.spec.memoryMiB = 1024;
    const result = await s.run(reinstall);
    expect(result.data).toMatchObject({ version: "1.21.1" });
    expect((await s.record()).manifestHash).toBe(manifestHash(s.before));
    expect(await s.exists(s.path("fabric-api"))).toBe(false);
  });
});
