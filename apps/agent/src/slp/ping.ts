import { connect } from "node:net";

export interface ServerStatus {
  version: { name: string; protocol: number };
  players: { max: number; online: number };
  description: unknown;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, off: number): { value: number; size: number } | null {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = buf[off + i];
    if (b === undefined) return null;
    result |= (b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return { value: result, size: i + 1 };
  }
  throw new Error("varint longer than 5 bytes");
}

function packet(id: number, payload: Buffer): Buffer {
  const body = Buffer.concat([varint(id), payload]);
  return Buffer.concat([varint(body.length), body]);
}

/**
 * The largest status reply accepted. A real one is a few hundred bytes, a
 * few tens of KiB with a 64x64 favicon; the protocol's own string limit is
 * 32767 characters (up to 3 bytes each). Beyond that, the server (which the
 * customer controls) is not answering honestly, and the agent, running as
 * root on the host, must not buffer it.
 */
export const MAX_STATUS_BYTES = 128 * 1024;

/**
 * One Minecraft Server List Ping (Java edition, modern protocol): handshake
 * with next state 1, status request, JSON response. Rejects on refused
 * connections, malformed or oversized replies, and when the whole exchange
 * takes longer than `timeoutMs`: an overall deadline, not an idle timeout,
 * so a server that trickles one byte at a time cannot hold the operation.
 */
export function pingServer(host: string, port: number, timeoutMs = 2000): Promise<ServerStatus> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = Buffer.alloc(0);
    const fail = (err: Error) => {
      clearTimeout(deadline);
      socket.destroy();
      reject(err);
    };
    const deadline = setTimeout(() => fail(new Error(`no status reply from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on("error", fail);
    socket.on("connect", () => {
      const addr = Buffer.from(host, "utf8");
      const portBuf = Buffer.alloc(2);
      portBuf.writeUInt16BE(port);
      socket.write(packet(0, Buffer.concat([varint(767), varint(addr.length), addr, portBuf, varint(1)])));
      socket.write(packet(0, Buffer.alloc(0)));
    });
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const len = readVarint(buf, 0);
        if (len && len.value > MAX_STATUS_BYTES) return fail(new Error(`status reply of ${len.value} bytes is over the ${MAX_STATUS_BYTES}-byte limit`));
        if (!len || buf.length < len.size + len.value) return;
        const body = buf.subarray(len.size, len.size + len.value);
        const id = readVarint(body, 0);
        const strLen = id && readVarint(body, id.size);
        if (!id || id.value !== 0 || !strLen) return fail(new Error("unexpected status packet"));
        const start = id.size + strLen.size;
        const json = JSON.parse(body.subarray(start, start + strLen.value).toString("utf8")) as ServerStatus;
        clearTimeout(deadline);
        socket.end();
        resolve(json);
      } catch (err) {
        fail(err as Error);
      }
    });
  });
}
