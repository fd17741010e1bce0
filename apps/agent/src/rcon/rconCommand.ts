import { connect } from "node:net";

/** Replies longer than this are cut (a console line is short; the agent runs as root and buffers nothing unbounded). */
export const MAX_REPLY_BYTES = 64 * 1024;

/**
 * One command over Minecraft's RCON (the Source RCON framing the vanilla
 * server implements): connect, log in (type 3; the server answers type 2
 * with the request id, or -1 for a wrong password), send the command
 * (type 2), and read its reply (type 0, same id). Vanilla splits a long
 * reply into 4096-byte packets, so packets are collected until a shorter
 * one. Everything within `timeoutMs`, an overall deadline; the server is
 * the customer's, so its replies are bounded too. (Hand-written rather than
 * a library: the ones on npm wait forever on a silent server.)
 */
export function rconCommand(host: string, port: number, password: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buf = Buffer.alloc(0);
    let stage: "login" | "command" = "login";
    const reply: Buffer[] = [];
    let replyBytes = 0;
    const finish = (err: Error | null, value?: string) => {
      clearTimeout(deadline);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const deadline = setTimeout(() => finish(new Error(`RCON ${host}:${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    const send = (id: number, type: number, body: string) => {
      const b = Buffer.from(body, "utf8");
      const head = Buffer.alloc(12);
      head.writeInt32LE(10 + b.length, 0);
      head.writeInt32LE(id, 4);
      head.writeInt32LE(type, 8);
      socket.write(Buffer.concat([head, b, Buffer.from([0, 0])]));
    };
    socket.on("error", (err) => finish(new Error(`RCON ${host}:${port}: ${err.message}`)));
    socket.on("close", () => finish(new Error(`RCON ${host}:${port} closed the connection${stage === "login" ? " (login refused?)" : ""}`)));
    socket.on("connect", () => send(1, 3, password));
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const len = buf.readInt32LE(0);
        if (len < 10 || len > 4096 + 10) return finish(new Error(`RCON ${host}:${port} sent a malformed packet (length ${len})`));
        if (buf.length < 4 + len) return;
        const id = buf.readInt32LE(4);
        const type = buf.readInt32LE(8);
        const body = buf.subarray(12, 4 + len - 2);
        buf = buf.subarray(4 + len);
        if (stage === "login") {
          if (type !== 2) continue;
          if (id === -1) return finish(new Error("RCON login refused: wrong password"));
          stage = "command";
          send(2, 2, command);
        } else if (id === 2 && type === 0) {
          if (replyBytes < MAX_REPLY_BYTES) reply.push(body.subarray(0, MAX_REPLY_BYTES - replyBytes));
          replyBytes += body.length;
          if (body.length < 4096) return finish(null, Buffer.concat(reply).toString("utf8"));
        }
      }
    });
  });
}
