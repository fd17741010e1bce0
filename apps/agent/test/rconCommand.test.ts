import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { rconCommand, MAX_REPLY_BYTES, RconCommandTooLong } from "../src/rcon/rconCommand";
import { encodePacket, MAX_REPLY_BODY, PacketReader, type RconPacket } from "../src/rcon/rconPacket";

const frame = (id: number, type: number, body: Buffer) => {
  const head = Buffer.alloc(12);
  head.writeInt32LE(10 + body.length, 0);
  head.writeInt32LE(id, 4);
  head.writeInt32LE(type, 8);
  return Buffer.concat([head, body, Buffer.from([0, 0])]);
};

/**
 * A reply as vanilla sends it (RconClient.sendCmdResponse): its UTF-8 bytes
 * cut into 4096-byte pieces, each decoded and encoded again, so that a
 * character split between two pieces becomes U+FFFD on both sides.
 */
function vanillaReply(id: number, reply: string): Buffer[] {
  const bytes = Buffer.from(reply, "utf8");
  const pieces: Buffer[] = [];
  let k = 0;
  do {
    const piece = bytes.subarray(k, k + 4096);
    pieces.push(frame(id, 0, Buffer.from(piece.toString("utf8"), "utf8")));
    k += piece.length;
  } while (k < bytes.length);
  return pieces;
}

/** What the client should make of vanilla's pieces: their bytes joined, decoded once. */
const decodedPieces = (pieces: Buffer[]) => Buffer.concat(pieces.map((p) => p.subarray(12, p.length - 2))).toString("utf8");

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/**
 * A server speaking RCON as vanilla reads it (one packet per read, or the
 * connection is dropped; an unknown type answered "Unknown request <hex>"),
 * logging in any password, with `onCommand` answering commands its own way.
 * As vanilla, it answers a request only once it has sent all of the reply
 * before it.
 */
async function fakeServer(onCommand: (sock: Socket, id: number, body: string) => unknown) {
  const seen: RconPacket[] = [];
  const connections: Socket[] = [];
  const server = createServer((sock) => {
    connections.push(sock);
    sock.on("error", () => undefined);
    let answered: Promise<void> = Promise.resolve();
    sock.on("data", (read: Buffer) => {
      let packets: RconPacket[];
      try {
        packets = new PacketReader().push(read);
      } catch {
        return sock.destroy();
      }
      if (packets.length !== 1 || read.readInt32LE(0) !== read.length - 4) return sock.destroy();
      const p = packets[0]!;
      seen.push(p);
      answered = answered.then(async () => {
        if (p.type === 3) sock.write(encodePacket(p.id, 2, ""));
        else if (p.type === 2) await onCommand(sock, p.id, p.body.toString("utf8"));
        else sock.write(encodePacket(p.id, 0, `Unknown request ${p.type.toString(16)}`));
      });
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { port, seen, connections, ask: (command: string, timeoutMs = 5000) => rconCommand("127.0.0.1", port, "pw", command, timeoutMs) };
}

/** Writes `bytes` a slice at a time, each write its own TCP chunk: a stream cut anywhere. */
async function dribble(sock: Socket, bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) {
    sock.write(bytes.subarray(i, i + size));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Writes `bytes` again and again until the client hangs up: a reply that never ends, so nothing after it is answered. */
function endlessly(sock: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!sock.destroyed) return void sock.write(bytes);
      clearInterval(timer);
      resolve();
    }, 1);
  });
}

describe("RCON client against servers that split, stretch and lie", () => {
  it("joins a reply of several pieces whose character vanilla split between them (a piece of 4098 bytes)", async () => {
    const reply = `${"a".repeat(4095)}€${"b".repeat(100)}`;
    const pieces = vanillaReply(2, reply);
    expect(pieces[0]!.readInt32LE(0)).toBe(4098 + 10);
    const s = await fakeServer((sock) => sock.write(Buffer.concat(pieces)));
    expect(await s.ask("data get entity @p")).toBe(decodedPieces(pieces));
  });

  it("ends a reply that fills its last piece exactly, with a probe sent only after the reply began", async () => {
    const s = await fakeServer((sock, id) => sock.write(Buffer.concat(vanillaReply(id, "x".repeat(4096)))));
    expect(await s.ask("list")).toBe("x".repeat(4096));
    expect(s.seen.map((p) => p.type)).toEqual([3, 2, 100]);
  });

  it("reads a reply whose TCP chunks cut headers and characters anywhere", async () => {
    const reply = "é€😀 ".repeat(800);
    const pieces = vanillaReply(2, reply);
    // Slices of 1030 bytes cut characters, and the second piece's header (bytes 4112 to 4124).
    expect(pieces[0]!.length).toBe(4112);
    const s = await fakeServer((sock) => dribble(sock, Buffer.concat(pieces), 1030));
    expect(await s.ask("help")).toBe(decodedPieces(pieces));
  });

  it("cuts a reply past its bound at a whole character and stops reading a server that never ends", async () => {
    // Full pieces of 3-byte characters, forever, and no answer to the probe: 65536 bytes end inside a "€".
    const s = await fakeServer((sock, id) => {
      const piece = frame(id, 0, Buffer.from("€".repeat(1366)));
      return endlessly(sock, piece);
    });
    const reply = await s.ask("list", 10_000);
    expect(reply).toBe("€".repeat(Math.floor(MAX_REPLY_BYTES / 3)));
  });

  it("accepts the longest body a re-encoded piece can have, and refuses lengths no reply can have at once", async () => {
    const longest = await fakeServer((sock, id) => sock.write(frame(id, 0, Buffer.alloc(MAX_REPLY_BODY, "x"))));
    expect(await longest.ask("list")).toHaveLength(MAX_REPLY_BODY);
    for (const len of [-1, 0, 9, MAX_REPLY_BODY + 11, 2 ** 31 - 1]) {
      const s = await fakeServer((sock, id) => {
        const head = Buffer.alloc(12);
        head.writeInt32LE(len, 0);
        head.writeInt32LE(id, 4);
        sock.write(head);
      });
      await expect(s.ask("list", 10_000), String(len)).rejects.toThrow(`a packet length of ${len} bytes`);
    }
  });

  it("gives up at the deadline on a length that promises more than comes", async () => {
    const s = await fakeServer((sock, id) => sock.write(frame(id, 0, Buffer.alloc(100, "x")).subarray(0, 40)));
    await expect(s.ask("list", 300)).rejects.toThrow("did not answer within 300 ms");
  });

  it("stops reading a flood of packets for requests it never made", async () => {
    const s = await fakeServer((sock) => {
      const other = frame(99, 0, Buffer.alloc(4000, "x"));
      return endlessly(sock, Buffer.concat([other, other, other]));
    });
    await expect(s.ask("list", 10_000)).rejects.toThrow(/sent more than \d+ bytes/);
  });

  it("refuses a command longer than vanilla reads (1446 UTF-8 bytes) before connecting, and sends one that fits", async () => {
    const s = await fakeServer((sock, id, body) => sock.write(encodePacket(id, 0, `${Buffer.byteLength(body)}`)));
    // 483 characters, 1449 bytes.
    await expect(s.ask("€".repeat(483))).rejects.toBeInstanceOf(RconCommandTooLong);
    expect(s.connections).toHaveLength(0);
    expect(await s.ask(`say ${"é".repeat(721)}`)).toBe("1446");
  });
});
