import { connect } from "node:net";
import { StringDecoder } from "node:string_decoder";
import { encodePacket, MalformedPacket, PacketReader, REPLY_PIECE, TYPE_AUTH_REPLY, TYPE_COMMAND, TYPE_LOGIN, TYPE_REPLY } from "./rconPacket";
import { MAX_COMMAND_BYTES } from "@zlh/domain";

/** Replies longer than this are cut, at a character (a console line is short; the agent runs as root and buffers nothing unbounded). */
export const MAX_REPLY_BYTES = 64 * 1024;
/** All a server may send in one exchange, whatever it is (replies to nothing we asked included). */
const MAX_RECEIVED_BYTES = 4 * MAX_REPLY_BYTES;

const LOGIN_ID = 1;
const COMMAND_ID = 2;
const PROBE_ID = 3;
/** A request type vanilla does not know: it answers "Unknown request 64" with the same id, after the whole reply before it. */
const TYPE_PROBE = 100;

/** A command vanilla would drop the connection for (see rconPacket.ts), refused before connecting. */
export class RconCommandTooLong extends Error {}

/**
 * One command over Minecraft's RCON: connect, log in (type 3; the server
 * answers type 2 with the request id, or -1 for a wrong password), send the
 * command (type 2), and read its reply (type 0, same id). A reply comes in
 * pieces of 4096 bytes or more but the last: a shorter piece ends it; after
 * a full-sized piece a probe (an unknown type, which vanilla answers in
 * turn, once the reply is all sent) tells a reply that ends on a full piece
 * from one that goes on. The probe is sent only then, never with the
 * command: vanilla drops a connection whose read holds two packets. The
 * pieces are joined as bytes and decoded once (a character split between
 * pieces or TCP chunks decodes whole). Everything within `timeoutMs`, an
 * overall deadline; the server is the customer's, so every length it sends
 * is checked and what it sends is bounded. (Hand-written rather than a
 * library: the ones on npm wait forever on a silent server.)
 */
export function rconCommand(host: string, port: number, password: string, command: string, timeoutMs = 5000): Promise<string> {
  const commandBytes = Buffer.byteLength(command, "utf8");
  if (commandBytes > MAX_COMMAND_BYTES) {
    return Promise.reject(new RconCommandTooLong(`the command is ${commandBytes} bytes in UTF-8; vanilla's RCON takes at most ${MAX_COMMAND_BYTES}`));
  }
  return new Promise((resolve, reject) => {
    const where = `RCON ${host}:${port}`;
    const socket = connect({ host, port });
    const reader = new PacketReader();
    let stage: "login" | "command" = "login";
    let probed = false;
    const reply: Buffer[] = [];
    let replyBytes = 0;
    let received = 0;
    let done = false;
    const finish = (err: Error | null, value?: string) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      socket.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const answer = (cut: boolean) => {
      const decoder = new StringDecoder("utf8");
      const text = decoder.write(Buffer.concat(reply));
      // A reply cut at the byte limit loses the character the cut split; a whole one decodes its end (U+FFFD if broken).
      finish(null, cut ? text : text + decoder.end());
    };
    const deadline = setTimeout(() => finish(new Error(`${where} did not answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("error", (err) => finish(new Error(`${where}: ${err.message}`)));
    socket.on("close", () => finish(new Error(`${where} closed the connection${stage === "login" ? " (login refused?)" : ""}`)));
    socket.on("connect", () => socket.write(encodePacket(LOGIN_ID, TYPE_LOGIN, password)));
    socket.on("data", (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > MAX_RECEIVED_BYTES) return finish(new Error(`${where} sent more than ${MAX_RECEIVED_BYTES} bytes; refused`));
      let packets;
      try {
        packets = reader.push(chunk);
      } catch (err) {
        if (err instanceof MalformedPacket) return finish(new Error(`${where} sent a malformed packet: ${err.message}`));
        throw err;
      }
      for (const { id, type, body } of packets) {
        if (stage === "login") {
          if (type !== TYPE_AUTH_REPLY) continue;
          if (id === -1) return finish(new Error("RCON login refused: wrong password"));
          if (id !== LOGIN_ID) continue;
          stage = "command";
          socket.write(encodePacket(COMMAND_ID, TYPE_COMMAND, command));
        } else if (id === COMMAND_ID && type === TYPE_REPLY) {
          const room = MAX_REPLY_BYTES - replyBytes;
          reply.push(body.subarray(0, room));
          replyBytes += Math.min(room, body.length);
          if (body.length > room) return answer(true);
          if (body.length < REPLY_PIECE) return answer(false);
          if (!probed) socket.write(encodePacket(PROBE_ID, TYPE_PROBE, ""));
          probed = true;
        } else if (id === PROBE_ID && probed) {
          return answer(false);
        }
      }
    });
  });
}
