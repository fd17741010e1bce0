import { connect } from "node:net";
import { Rfc2136Error } from "./errors";

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * One message over TCP (RFC 1035 section 4.2.2: a 2-byte length, then the
 * message) and its one reply, all within `timeoutMs`. TCP because an update
 * with its signature can outgrow a UDP datagram, and a reply over TCP cannot
 * be spoofed as cheaply. The reply is bounded by its 2-byte length.
 */
export function exchange(to: Endpoint, message: Buffer, timeoutMs: number): Promise<Buffer> {
  const where = `${to.host}:${to.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.host, port: to.port });
    let received = Buffer.alloc(0);
    const finish = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Rfc2136Error("timeout", `no answer from ${where} within ${timeoutMs} ms.`)), timeoutMs);
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2) return;
      const want = received.readUInt16BE(0);
      if (received.length >= 2 + want) finish(null, received.subarray(2, 2 + want));
    });
    socket.on("error", (e: NodeJS.ErrnoException) => finish(new Rfc2136Error("unreachable", `could not talk to ${where}: ${e.code ?? e.message}.`)));
    socket.on("close", () => finish(new Rfc2136Error("unreachable", `${where} closed the connection without a full answer.`)));
  });
}
