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
export async function exchange(to: Endpoint, message: Buffer, timeoutMs: number): Promise<Buffer> {
  let first: Buffer | undefined;
  await exchangeMany(to, message, timeoutMs, (reply) => {
    first = reply;
    return true;
  });
  return first!;
}

/**
 * One message and the stream of replies it starts (a zone transfer: RFC 5936 section 2.2), each handed to
 * `onReply` until it says the stream is complete; the whole exchange within `timeoutMs`, at most `maxBytes`.
 */
export function exchangeMany(to: Endpoint, message: Buffer, timeoutMs: number, onReply: (reply: Buffer) => boolean, maxBytes = 64 << 20): Promise<void> {
  const where = `${to.host}:${to.port}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.host, port: to.port });
    let received = Buffer.alloc(0);
    let total = 0;
    let done = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Rfc2136Error("timeout", `no answer from ${where} within ${timeoutMs} ms.`)), timeoutMs);
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) return finish(new Rfc2136Error("protocol", `${where} sent more than ${maxBytes} bytes.`));
      received = Buffer.concat([received, chunk]);
      while (!done && received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const want = received.readUInt16BE(0);
        const reply = Buffer.from(received.subarray(2, 2 + want));
        received = received.subarray(2 + want);
        try {
          if (onReply(reply)) finish(null);
        } catch (e) {
          finish(e as Error);
        }
      }
    });
    socket.on("error", (e: NodeJS.ErrnoException) => finish(new Rfc2136Error("unreachable", `could not talk to ${where}: ${e.code ?? e.message}.`)));
    socket.on("close", () => finish(new Rfc2136Error("unreachable", `${where} closed the connection without a full answer.`)));
  });
}
