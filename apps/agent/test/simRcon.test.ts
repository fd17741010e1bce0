import { mkdtemp } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { markerFor } from "@zlh/protocol";
import { fixtureManifest, freePort, joinAsPlayer } from "@zlh/testing";
import { ArtifactCache } from "../src/placement/cache";
import { waitUntilAnswering } from "../src/ops/readiness";
import { placeServer } from "../src/placement/placeServer";
import { pingServer } from "../src/slp/ping";
import { rconCommand } from "../src/rcon/rconCommand";
import { encodePacket, PacketReader, type RconPacket } from "../src/rcon/rconPacket";
import { SimRuntime } from "../src/runtime/sim";
import { simAddress } from "../src/runtime/simAddress";

const VMID = 5501;

/** A raw RCON connection: each `send` one write; `next` the next packet, or "closed". */
function rawSession(host: string, port: number) {
  const socket = connect({ host, port });
  const reader = new PacketReader();
  const queue: (RconPacket | "closed")[] = [];
  let wake: (() => void) | null = null;
  socket.on("data", (d) => (queue.push(...reader.push(d)), wake?.()));
  socket.on("close", () => (queue.push("closed"), wake?.()));
  socket.on("error", () => undefined);
  return {
    send: (bytes: Buffer) => socket.write(bytes),
    next: async (): Promise<RconPacket | "closed"> => {
      const deadline = Date.now() + 5000;
      while (queue.length === 0) {
        if (Date.now() > deadline) throw new Error("no packet within 5 s");
        await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
      }
      return queue.shift()!;
    },
    close: () => socket.destroy(),
  };
}

/** The simulated server answers RCON within vanilla's limits, and drops what vanilla drops. */
describe("sim server RCON: vanilla's request limits", () => {
  let rt: SimRuntime;
  let rconPort: number;
  let gamePort: number;
  const host = simAddress(VMID);
  const loggedIn = async () => {
    const s = rawSession(host, rconPort);
    s.send(encodePacket(1, 3, "pw"));
    expect(await s.next()).toMatchObject({ id: 1, type: 2 });
    return s;
  };

  beforeAll(async () => {
    rt = new SimRuntime({ root: await mkdtemp(join(tmpdir(), "zlh-sim-rcon-")) });
    await rt.create({ vmid: VMID, hostname: "h", memoryMiB: 1024, cpuCores: 1, diskGiB: 1, description: markerFor("3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d") });
    const manifest = await fixtureManifest();
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-cache-")), mirrorSource(OFFLINE_MIRROR_DIR, "offline"));
    rconPort = await freePort();
    gamePort = await freePort();
    const spec = { vmid: VMID, hostname: "h", memoryMiB: 1, cpuCores: 1, diskGiB: 1, gamePort, rconPort, minecraftVersion: "1.21.1", loaderVersion: null, serverProperties: {}, manifest, rconPassword: "pw" };
    await rt.withGuest(VMID, (guest) => placeServer(guest, spec, manifest, cache));
    await rt.start(VMID);
    // Started is not listening yet; once it answers the status ping (its loop runs), RCON is bound too.
    await waitUntilAnswering(simAddress(VMID), spec, 10_000);
  });
  afterAll(async () => {
    await rt?.stop(VMID, 2000).catch(() => undefined);
  });

  it("counts the players who logged in and are still connected, in the status ping and in list", async () => {
    const list = async () => (await rconCommand(host, rconPort, "pw", "list")).trim();
    expect((await pingServer(host, gamePort)).players).toMatchObject({ online: 0, max: 20 });
    const alex = await joinAsPlayer(host, gamePort, "Alex");
    const steve = await joinAsPlayer(host, gamePort, "Steve");
    expect((await pingServer(host, gamePort)).players).toMatchObject({ online: 2, max: 20 });
    expect(await list()).toBe("There are 2 of a max of 20 players online: Alex, Steve");
    alex.leave();
    // The sim sees the close on its next loop (within a second): asked until it has.
    for (let i = 0; i < 50 && (await pingServer(host, gamePort)).players.online !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await list()).toBe("There are 1 of a max of 20 players online: Steve");
    steve.leave();
    await expect(joinAsPlayer(host, gamePort, "bad name!")).rejects.toThrow(/closed bad name!'s connection/);
  });

  it("answers a command of 1446 UTF-8 bytes, and drops the connection for 1447", async () => {
    const fits = await loggedIn();
    const longest = `nonsense ${"é".repeat(718)}x`;
    expect(Buffer.byteLength(longest)).toBe(1446);
    fits.send(encodePacket(2, 2, longest));
    const answer = await fits.next();
    expect(answer).toMatchObject({ id: 2, type: 0 });
    expect((answer as RconPacket).body.toString("utf8")).toContain(longest);
    fits.close();
    const over = await loggedIn();
    over.send(encodePacket(2, 2, `${longest}y`));
    expect(await over.next()).toBe("closed");
  });

  it("drops a connection whose read holds two requests, as vanilla reads one packet a read", async () => {
    const s = await loggedIn();
    s.send(Buffer.concat([encodePacket(2, 2, "list"), encodePacket(3, 2, "list")]));
    expect(await s.next()).toBe("closed");
  });

  it("answers a request type it does not know with vanilla's words, keeping the connection", async () => {
    const s = await loggedIn();
    s.send(encodePacket(7, 100, ""));
    const answer = (await s.next()) as RconPacket;
    expect({ id: answer.id, type: answer.type, body: answer.body.toString() }).toEqual({ id: 7, type: 0, body: "Unknown request 64" });
    s.send(encodePacket(8, 2, "list"));
    expect(await s.next()).toMatchObject({ id: 8, type: 0 });
    s.close();
    expect(await rconCommand(host, rconPort, "pw", "list")).toBe("There are 0 of a max of 20 players online: ");
  });
});
