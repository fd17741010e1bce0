import { createHash } from "node:crypto";
import { InvalidRequestError, ModpackTooLargeError } from "@zlh/domain";

export interface UploadBody {
  bytes: Uint8Array;
  /** Hashed chunk by chunk as the body arrived: never a pass over the whole pack on the event loop. */
  sha512: string;
}

/**
 * An upload's raw body, read once: hashed as each chunk arrives, and copied
 * into one buffer of the declared Content-Length (so the pack is held once,
 * not as chunks and again whole). A body declared or sent past `maxBytes` is
 * refused (413) as soon as that is known, the rest not read; a body shorter
 * than declared (the client hung up) is refused too. A chunked body (no
 * Content-Length) is kept as chunks and joined once at the end.
 */
export async function readUploadBody(payload: AsyncIterable<Buffer>, declared: number | null, maxBytes: number): Promise<UploadBody> {
  const tooLarge = (n: number) => new ModpackTooLargeError(`The pack is ${n} bytes or more; at most ${maxBytes} are accepted (ZLH_MODPACK_MAX_BYTES).`);
  if (declared !== null && declared > maxBytes) throw tooLarge(declared);
  const hash = createHash("sha512");
  const whole = declared !== null ? Buffer.allocUnsafe(declared) : null;
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    if (size + chunk.byteLength > maxBytes) throw tooLarge(size + chunk.byteLength);
    if (whole && size + chunk.byteLength > whole.byteLength) throw new InvalidRequestError(`The body is longer than its Content-Length (${declared}).`);
    hash.update(chunk);
    if (whole) chunk.copy(whole, size);
    else parts.push(chunk);
    size += chunk.byteLength;
  }
  if (whole && size !== whole.byteLength) throw new InvalidRequestError(`The body ended after ${size} of its ${declared} bytes.`);
  const buf = whole ?? Buffer.concat(parts, size);
  return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, size), sha512: hash.digest("hex") };
}
