import { randomBytes } from "node:crypto";
import { connect } from "node:net";

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

/**
 * A player joined to an offline-mode server (1.21's protocol, 767): the
 * handshake asking for login, Login Start with `name` and a random uuid,
 * then the server's Login Success (packet 2); resolved once that came.
 * The player stays online until `leave()` closes the connection.
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
    socket.on("connect", () => {
      const portBytes = Buffer.alloc(2);
      portBytes.writeUInt16BE(port);
      socket.write(packet(0, Buffer.concat([varint(767), text(host), portBytes, varint(2)])));
      socket.write(packet(0, Buffer.concat([text(name), randomBytes(16)])));
    });
    socket.on("data", (d) => {
      received = Buffer.concat([received, d]);
      // The reply's packet id follows its length (a VarInt; Login Success is far shorter than 128 bytes, so one byte).
      if (received.length < 2) return;
      if (received[1] !== 2) return fail(new Error(`${name} was answered packet ${received[1]}, not Login Success`));
      clearTimeout(timer);
      resolve({ leave: () => socket.destroy() });
    });
    socket.on("error", fail);
    socket.on("close", () => fail(new Error(`${host}:${port} closed ${name}'s connection before Login Success`)));
  });
}
