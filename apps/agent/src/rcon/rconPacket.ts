/**
 * Minecraft's RCON framing (Source RCON, as the vanilla server implements
 * it): int32le length of the rest, int32le request id, int32le type, the
 * body, two NUL bytes. The limits are vanilla's (RconClient):
 *  - it reads a request with one read of at most 1460 bytes, and drops the
 *    connection unless that read is exactly one whole packet: a request body
 *    is at most 1460 - 14 = 1446 bytes (UTF-8): MAX_COMMAND_BYTES, held in
 *    @zlh/domain since the API and the wire protocol hold it too;
 *  - it cuts a reply's UTF-8 bytes into 4096-byte pieces and sends each as a
 *    string of its own, so a character split between two pieces arrives as
 *    U+FFFD (three bytes) on either side: a reply packet's body is 4096
 *    bytes or a little more (never less) except the last, whatever its
 *    content, and at most three bytes a byte in any case.
 */
export const REPLY_PIECE = 4096;
/** The longest reply body accepted: a 4096-byte piece decoded and encoded again is at most 3 bytes a byte. */
export const MAX_REPLY_BODY = 3 * REPLY_PIECE;

export const TYPE_REPLY = 0;
export const TYPE_COMMAND = 2;
export const TYPE_AUTH_REPLY = 2;
export const TYPE_LOGIN = 3;

export interface RconPacket {
  id: number;
  type: number;
  body: Buffer;
}

export function encodePacket(id: number, type: number, body: string): Buffer {
  const b = Buffer.from(body, "utf8");
  const head = Buffer.alloc(12);
  head.writeInt32LE(10 + b.length, 0);
  head.writeInt32LE(id, 4);
  head.writeInt32LE(type, 8);
  return Buffer.concat([head, b, Buffer.from([0, 0])]);
}

/** A length field no reply can have: the server is lying or broken. */
export class MalformedPacket extends Error {}

/**
 * Reads packets from a byte stream cut anywhere (a packet over several
 * chunks, several packets in one): holds at most one packet being read,
 * and refuses a length field out of bounds before buffering anything of it.
 */
export class PacketReader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** The whole packets `chunk` completes, in order. Throws MalformedPacket. */
  push(chunk: Buffer): RconPacket[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const packets: RconPacket[] = [];
    while (this.#pendingBytes >= 4) {
      const buf = this.#joined();
      const len = buf.readInt32LE(0);
      if (len < 10 || len > MAX_REPLY_BODY + 10) throw new MalformedPacket(`a packet length of ${len} bytes (a reply is 10 to ${MAX_REPLY_BODY + 10})`);
      if (buf.length < 4 + len) break;
      packets.push({ id: buf.readInt32LE(4), type: buf.readInt32LE(8), body: Buffer.from(buf.subarray(12, 4 + len - 2)) });
      const rest = buf.subarray(4 + len);
      this.#pending = rest.length ? [rest] : [];
      this.#pendingBytes = rest.length;
    }
    return packets;
  }

  #joined(): Buffer {
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    return this.#pending[0]!;
  }
}
