import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { inflateSync } from "node:zlib";

/** A VarInt of the Minecraft protocol: 7 bits a byte, low first, the high bit set on every byte but the last. */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n);
  return Buffer.from(out);
}
const text = (s: string) => Buffer.concat([varint(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
const packet = (id: number, payload: Buffer) => {
  const body = Buffer.concat([varint(id), payload]);
  return Buffer.concat([varint(body.length), body]);
};

/** A VarInt at `off` of `buf`: its value and size, or null if `buf` ends first. */
function readVarint(buf: Buffer, off: number): { value: number; size: number } | null {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (off + i >= buf.length) return null;
    const b = buf[off + i]!;
    value |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return { value: value >>> 0, size: i + 1 };
  }
  throw new Error("a VarInt longer than 5 bytes");
}

/**
 * A player joined to an offline-mode server (1.21's protocol, 767): the
 * handshake asking for login, Login Start with `name` and a random uuid,
 * then the server's Login Success (packet 2); resolved once that came.
 * A Set Compression (packet 3) before it is followed, as vanilla sends one
 * unless network-compression-threshold is negative: every packet after it
 * carries its uncompressed length (0: not compressed). The player stays
 * online until `leave()` closes the connection.
 */
export function joinAsPlayer(host: string, port: number, name: string, timeoutMs = 5000): Promise<{ leave: () => void }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => fail(new Error(`${name} got no Login Success from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    let received = Buffer.alloc(0);
    let compressed = false;
    socket.on("connect", () => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16BE(port);
      socket.write(packet(0, Buffer.concat([varint(767), text(host), portBytes, varint(2)])));
      socket.write(packet(0, Buffer.concat([text(name), randomBytes(16)])));
    });
    /** The next whole packet's id and payload, taken off `received`; null until one has come whole. */
    const nextPacket = (): { id: number; payload: Buffer } | null => {
      const len = readVarint(received, 0);
      if (!len || received.length < len.size + len.value) return null;
      let body = received.subarray(len.size, len.size + len.value);
      received = received.subarray(len.size + len.value);
      if (compressed) {
        const dataLength = readVarint(body, 0);
        if (!dataLength) throw new Error("a compressed packet without its data length");
        body = dataLength.value === 0 ? body.subarray(dataLength.size) : inflateSync(body.subarray(dataLength.size));
      }
      const id = readVarint(body, 0);
      if (!id) throw new Error("a packet without its id");
      return { id: id.value, payload: body.subarray(id.size) };
    };
    let joined = false;
    socket.on("data", (d) => {
      // What a server sends a player once joined is the game's, not the login's: read past.
      if (joined) return;
      received = Buffer.concat([received, d]);
      try {
        for (let p; (p = nextPacket()); ) {
          if (p.id === 3 && !compressed) {
            compressed = true;
            continue;
          }
          if (p.id !== 2) return fail(new Error(`${name} was answered packet ${p.id}, not Login Success`));
          clearTimeout(timer);
          joined = true;
          return resolve({ leave: () => socket.destroy() });
        }
      } catch (err) {
        fail(new Error(`${name} was answered what is not the protocol: ${(err as Error).message}`));
      }
    });
    socket.on("error", fail);
    socket.on("close", () => fail(new Error(`${host}:${port} closed ${name}'s connection before Login Success`)));
  });
}
