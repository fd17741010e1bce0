import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { markerFor } from "@zlh/protocol";
import { freePort } from "@zlh/testing";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { fixtureManifest } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import type { GuestFiles } from "../src/guest/guestFiles";
import { placeServer } from "../src/placement/placeServer";
import { PctRuntime } from "../src/runtime/pct";
import type { Runtime } from "../src/runtime/runtime";
import { SimRuntime } from "../src/runtime/sim";
import { simAddress } from "../src/runtime/simAddress";
import { stopFakeInits } from "./support/fakePct";
import { pingServer } from "../src/slp/ping";

const FAKE = join(import.meta.dirname, "fixtures", "fake-pct.mjs");
const SERVER = "0b0e7d7e-6c0a-4e58-9d7e-6a4f1d2e3c4b";

/** Places the fixture manifest's files as a provision would. */
async function place(guest: GuestFiles, over: Record<string, unknown>) {
  const manifest = await fixtureManifest();
  const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
  const spec = { vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort: 0, rconPort: 1, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw", ...over };
  return placeServer(guest, spec, manifest, cache);
}

const simRoots = new WeakMap<SimRuntime, string>();
const simRootOf = (rt: SimRuntime) => simRoots.get(rt)!;
const runtimes: [string, () => Promise<Runtime>][] = [
  [
    "sim",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "zlh-sim-"));
      const rt = new SimRuntime({ root });
      simRoots.set(rt, root);
      return rt;
    },
  ],
  [
    "pct (fake)",
    async () => {
      process.env.FAKE_PCT_DIR = await mkdtemp(join(tmpdir(), "zlh-fake-pct-"));
      return new PctRuntime({ bin: FAKE, storage: "s", template: "t", bridge: "b", lockRetries: 0 });
    },
  ],
];

/** The sim runtime must refuse exactly where pct refuses, with the same classification. */
describe.each(runtimes)("runtime contract: %s", (_name, make) => {
  let rt: Runtime;
  const spec = { vmid: 5200, hostname: "zlh-5200", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) };
  afterEach(async () => {
    const ct = await rt.inspect(5200);
    if (ct?.state === "running") await rt.stop(5200, 1000);
    if (process.env.FAKE_PCT_DIR) await stopFakeInits(process.env.FAKE_PCT_DIR);
  });

  it("refuses like pct: existing VMID, missing VMID, double start, destroy while running, stop when stopped", async () => {
    rt = await make();
    expect(await rt.inspect(5200)).toBeNull();
    await expect(rt.destroy(5200)).rejects.toMatchObject({ kind: "missing" });
    await expect(rt.start(5200)).rejects.toMatchObject({ kind: "missing" });
    await expect(rt.stop(5200, 1000)).rejects.toMatchObject({ kind: "not_running", message: expect.stringContaining("CT 5200 not running") });
    await rt.create(spec);
    await expect(rt.create(spec)).rejects.toMatchObject({ kind: "exists" });
    expect(await rt.inspect(5200)).toEqual({ vmid: 5200, state: "stopped", description: markerFor(SERVER) });
    await expect(rt.stop(5200, 1000)).rejects.toMatchObject({ kind: "not_running" });
    await rt.withGuest(5200, (guest) => place(guest, { gamePort: 0 }));
    await rt.start(5200);
    expect((await rt.inspect(5200))?.state).toBe("running");
    await expect(rt.start(5200)).rejects.toMatchObject({ kind: "already_running" });
    await expect(rt.destroy(5200)).rejects.toMatchObject({ kind: "running" });
    await rt.stop(5200, 1000);
    await rt.destroy(5200);
    expect(await rt.list()).toEqual([]);
  });
  it("reads a file inside the container from an offset, stopped (mounted) or running (through its init's root), a missing one as empty", async () => {
    rt = await make();
    await rt.create(spec);
    await rt.withGuest(5200, async (guest) => {
      await place(guest, { gamePort: 0 });
      await guest.write("srv/minecraft/notes.txt", "first line\nsecond line\n");
    });
    const read = (path: string, offset: number, max: number) => rt.withGuest(5200, (guest) => guest.read(path, offset, max));
    expect(await read("srv/minecraft/missing.txt", 0, 100)).toEqual({ data: Buffer.alloc(0), size: 0, exists: false });
    const stopped = await read("srv/minecraft/notes.txt", 6, 4);
    expect({ text: stopped.data.toString(), size: stopped.size }).toEqual({ text: "line", size: 23 });
    await rt.start(5200);
    const running = await read("srv/minecraft/notes.txt", 11, 100);
    expect({ text: running.data.toString(), size: running.size }).toEqual({ text: "second line\n", size: 23 });
    expect((await read("srv/minecraft/notes.txt", 23, 100)).data.length).toBe(0);
  });

  it("gives what it places to the container's root identity (100000:100000 when the agent is root)", async () => {
    rt = await make();
    await rt.create(spec);
    const paths = await rt.withGuest(5200, async (guest) => {
      await place(guest, { gamePort: 0 });
      return { props: await guest.stat("srv/minecraft/server.properties") };
    });
    expect(paths.props?.type).toBe("file");
    if (process.getuid?.() !== 0) return;
    const where = rt instanceof SimRuntime ? join(simRootOf(rt), "5200/rootfs") : join(process.env.FAKE_PCT_DIR!, "rootfs/5200");
    for (const p of ["srv", "srv/minecraft", "srv/minecraft/server.properties", "srv/minecraft/.zlh/manifest.json", "srv/minecraft/fabric-server-launch.jar"]) {
      expect(await lstat(join(where, p)).then((st) => [st.uid, st.gid]), p).toEqual([100_000, 100_000]);
    }
  });

  it("sets memory and cores, grows the disk, and refuses to shrink it, as pct does", async () => {
    rt = await make();
    await rt.create(spec);
    expect(await rt.resources(5200)).toEqual({ memoryMiB: 1024, cpuCores: 1, diskGiB: 1 });
    await rt.resize(5200, { memoryMiB: 2048, cpuCores: 2, diskGiB: 4 });
    expect(await rt.resources(5200)).toEqual({ memoryMiB: 2048, cpuCores: 2, diskGiB: 4 });
    await rt.resize(5200, { memoryMiB: 2048, cpuCores: 2, diskGiB: 4 }); // the same size: a no-op
    await expect(rt.resize(5200, { memoryMiB: 2048, cpuCores: 2, diskGiB: 2 })).rejects.toThrow("unable to shrink disk size");
    expect((await rt.resources(5200)).diskGiB).toBe(4);
    await expect(rt.resize(5201, { memoryMiB: 1, cpuCores: 1, diskGiB: 1 })).rejects.toMatchObject({ kind: "missing" });
    await rt.destroy(5200);
  });
});

describe("sim server process", () => {
  it("answers a Server List Ping with the placed MOTD, max-players and game version, and stops on stop", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-")) });
    const port = await freePort();
    await rt.create({ vmid: 1, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    await rt.withGuest(1, (guest) => place(guest, { gamePort: port, rconPort: port + 1, serverProperties: { motd: "sim motd", "max-players": 3 } }));
    await rt.start(1);
    let status;
    for (let i = 0; i < 100 && !status; i++) status = await pingServer(simAddress(1), port, 500).catch(() => new Promise((r) => setTimeout(r, 20)).then(() => undefined));
    expect(status).toMatchObject({ version: { name: "1.21.1" }, players: { max: 3 }, description: { text: "sim motd" } });
    await rt.stop(1, 1000);
    await expect(pingServer(simAddress(1), port, 500)).rejects.toThrow();
    await rt.destroy(1);
  });

  it("speaks the protocol byte by byte: split packets, an escaped MOTD, ping echoed, garbage dropped without harm", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-")) });
    const port = await freePort();
    const motd = 'Zero "Lag" \\ Hub \u00e9\u2713 \ttab';
    await rt.create({ vmid: 3, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    await rt.withGuest(3, (guest) => place(guest, { gamePort: port, serverProperties: { motd } }));
    await rt.start(3);
    for (let i = 0; i < 100 && !(await pingServer(simAddress(3), port, 500).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 20));

    // A client that sends garbage (a VarInt longer than 5 bytes) is dropped...
    const garbage = await slpExchange(simAddress(3), port, [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]);
    expect(garbage).toHaveLength(0);
    // ...and a client that sends handshake, status request and ping one byte at a time is answered.
    const handshake = slpPacket(0, Buffer.concat([Buffer.from([0xff, 0x05]), Buffer.from([9]), Buffer.from("127.0.0.1"), Buffer.from([port >> 8, port & 0xff]), Buffer.from([1])]));
    const payload = Buffer.from("0123456789abcdef", "hex").subarray(0, 8);
    const bytes = Buffer.concat([handshake, slpPacket(0, Buffer.alloc(0)), slpPacket(1, payload)]);
    const reply = await slpExchange(simAddress(3), port, [...bytes].map((b) => Buffer.from([b])));
    // Status: length, id 0, string length, JSON; then the pong: length 9, id 1, the same 8 bytes.
    const [len, lenSize] = readVarint(reply, 0);
    const body = reply.subarray(lenSize, lenSize + len);
    const [strLen, strLenSize] = readVarint(body, 1);
    const status = JSON.parse(body.subarray(1 + strLenSize, 1 + strLenSize + strLen).toString("utf8"));
    expect(status.description.text).toBe(motd);
    expect(reply.subarray(lenSize + len)).toEqual(Buffer.concat([Buffer.from([9, 1]), payload]));
    await rt.stop(3, 1000);
    await rt.destroy(3);
  });

  it("gives each container its own loopback address: another container's server on the same port never answers for it", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-")) });
    const port = await freePort();
    for (const [vmid, motd] of [[5001, "first"], [5002, "second"]] as const) {
      await rt.create({ vmid, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
      await rt.withGuest(vmid, (guest) => place(guest, { gamePort: port, serverProperties: { motd } }));
      await rt.start(vmid);
    }
    expect(await rt.address(5001)).not.toBe(await rt.address(5002));
    for (const [vmid, motd] of [[5001, "first"], [5002, "second"]] as const) {
      let status;
      for (let i = 0; i < 100 && !status; i++) status = await pingServer(await rt.address(vmid), port, 500).catch(() => new Promise((r) => setTimeout(r, 20)).then(() => undefined));
      expect(status, String(vmid)).toMatchObject({ description: { text: motd } });
    }
    await rt.stop(5001, 1000);
    await expect(pingServer(await rt.address(5001), port, 300)).rejects.toThrow();
    await rt.stop(5002, 1000);
  });

  it("writes a failure to bind to logs/latest.log inside the container, and nothing else answers for it", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-")) });
    const port = await freePort();
    const squatter = createServer((c) => c.destroy());
    await new Promise<void>((r) => squatter.listen(port, simAddress(5003), r));
    try {
      await rt.create({ vmid: 5003, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
      await rt.withGuest(5003, (guest) => place(guest, { gamePort: port }));
      await rt.start(5003);
      for (let i = 0; i < 80 && (await rt.inspect(5003))?.state === "running"; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await rt.inspect(5003))?.state).toBe("stopped");
      const log = await rt.withGuest(5003, async (guest) => (await guest.readText("srv/minecraft/logs/latest.log", 1 << 20)) ?? "");
      expect(log).toMatch(/FAILED TO BIND TO PORT!.*Address already in use/);
    } finally {
      squatter.close();
    }
  });

  it("reads server.properties as java.util.Properties does: a motd ending in a backslash cannot swallow rcon.password", async () => {
    const rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-")) });
    const port = await freePort();
    const motd = "trailing \\ #not:a=comment! \u00e9\u2713 \\";
    await rt.create({ vmid: 5004, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    await rt.withGuest(5004, (guest) => place(guest, { gamePort: port, serverProperties: { motd, "max-players": 7 } }));
    const text = await rt.withGuest(5004, async (guest) => (await guest.readText("srv/minecraft/server.properties", 1 << 20)) ?? "");
    expect(text).toContain("\nrcon.password=pw\n");
    await rt.start(5004);
    let status;
    for (let i = 0; i < 100 && !status; i++) status = await pingServer(simAddress(5004), port, 500).catch(() => new Promise((r) => setTimeout(r, 20)).then(() => undefined));
    expect(status).toMatchObject({ players: { max: 7 }, description: { text: motd } });
    await rt.stop(5004, 1000);
  });

  it("a folder without config.json is not a container and does not block its VMID (as on Proxmox, the config is the container)", async () => {
    const root = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    const rt = new SimRuntime({ root });
    await mkdir(join(root, "5005"));
    expect(await rt.list()).toEqual([]);
    await rt.create({ vmid: 5005, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    expect(await rt.inspect(5005)).toMatchObject({ vmid: 5005, state: "stopped" });
    await expect(rt.create({ vmid: 5005, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: "" })).rejects.toMatchObject({ kind: "exists" });
  });

  it("refuses to start a server without eula=true or without the launcher jar, as a real one would", async () => {
    const simRoot = await mkdtemp(join(tmpdir(), "zlh-sim-"));
    const rt = new SimRuntime({ root: simRoot });
    const port = await freePort();
    await rt.create({ vmid: 2, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, description: markerFor(SERVER) });
    await rt.withGuest(2, (guest) => place(guest, { gamePort: port }));
    const dir = join(simRoot, "2", "rootfs", "srv/minecraft");
    for (const [file, broken] of [["eula.txt", "eula=false\n"], ["fabric-server-launch.jar", null]] as const) {
      const saved = await readFile(join(dir, file));
      if (broken === null) await rm(join(dir, file));
      else await writeFile(join(dir, file), broken);
      await rt.start(2);
      // The process exits at once; nothing ever answers on the port.
      for (let i = 0; i < 40 && (await rt.inspect(2))?.state === "running"; i++) await new Promise((r) => setTimeout(r, 25));
      expect((await rt.inspect(2))?.state, file).toBe("stopped");
      await expect(pingServer(simAddress(2), port, 300)).rejects.toThrow();
      await writeFile(join(dir, file), saved);
    }
  });
});

function slpPacket(id: number, payload: Buffer): Buffer {
  // Ids and the lengths used here stay below 128: one-byte VarInts.
  return Buffer.concat([Buffer.from([payload.length + 1, id]), payload]);
}

function readVarint(buf: Buffer, off: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const b = buf[off + i]!;
    value |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return [value, i + 1];
  }
  throw new Error("varint too long");
}

/** Sends `chunks` one write at a time (each on its own tick) and collects everything until the server closes. */
function slpExchange(host: string, port: number, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const got: Buffer[] = [];
    socket.setNoDelay(true);
    socket.setTimeout(5000, () => reject(new Error("no close within 5 s")));
    socket.on("data", (d) => got.push(d));
    socket.on("error", () => {}); // a reset after garbage is a close, too
    socket.on("close", () => resolve(Buffer.concat(got)));
    socket.on("connect", async () => {
      for (const c of chunks) {
        if (socket.destroyed) return;
        socket.write(c);
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}
