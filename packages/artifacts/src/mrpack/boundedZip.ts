import { promisify } from "node:util";
import { crc32, inflateRaw, inflateRawSync, type ZlibOptions } from "node:zlib";

const inflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(inflateRaw);

/** Why an archive was refused: its message is shown to the customer as is. */
export class PackRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PackRefusedError";
  }
}

/** How much of an archive anyone reads: a pack is hostile input until it has been read within these. */
export interface ZipLimits {
  /** Entries in the central directory. */
  maxEntries: number;
  /** One entry's uncompressed size. */
  maxEntryBytes: number;
  /** All entries' uncompressed sizes together. */
  maxTotalBytes: number;
  /**
   * Uncompressed over compressed size (a zip bomb inflates by thousands): for each entry over RATIO_FLOOR bytes,
   * and for the archive as a whole. Compressed sizes are the entries' real data (their ranges may not overlap).
   */
  maxRatio: number;
}

export const PACK_ZIP_LIMITS: ZipLimits = { maxEntries: 10_000, maxEntryBytes: 256 * 1024 * 1024, maxTotalBytes: 512 * 1024 * 1024, maxRatio: 200 };
/** Entries this small may compress better than maxRatio (a config of repeated lines) without costing anything. */
const RATIO_FLOOR = 64 * 1024;

export interface ZipDirEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
  /** Where its data starts (after the local header, checked against the central directory's). */
  dataOffset: number;
  /** A directory (name ends with `/`). */
  directory: boolean;
  /** Unix mode bits say symlink (external attributes of a zip made on Unix). */
  symlink: boolean;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * The central directory of a zip, read with bounds: nothing is inflated
 * here, and an archive whose declared sizes break the limits (entries,
 * per-entry and total size, compression ratio), which is encrypted, ZIP64,
 * or uses a method other than stored or deflate, is refused before any
 * entry is read. `readEntry` then inflates one entry to at most its declared
 * size and checks its CRC, so a lying header cannot make it inflate more.
 */
export function zipDirectory(bytes: Uint8Array, limits: ZipLimits = PACK_ZIP_LIMITS): ZipDirEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new PackRefusedError("The file is not a zip archive (no end of central directory).");
  const count = buf.readUInt16LE(end + 10);
  const dirSize = buf.readUInt32LE(end + 12);
  const dirOffset = buf.readUInt32LE(end + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new PackRefusedError("ZIP64 archives are not accepted.");
  if (count > limits.maxEntries) throw new PackRefusedError(`The archive has ${count} entries; at most ${limits.maxEntries} are accepted.`);
  if (dirOffset + dirSize > end) throw new PackRefusedError("The zip's central directory lies outside the file.");
  const entries: ZipDirEntry[] = [];
  let total = 0;
  let p = dirOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || buf.readUInt32LE(p) !== CENTRAL) throw new PackRefusedError("The zip's central directory is damaged.");
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const madeBy = buf.readUInt16LE(p + 4) >> 8;
    const external = buf.readUInt32LE(p + 38);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString("utf8");
    p += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) throw new PackRefusedError(`The archive entry ${JSON.stringify(name)} is encrypted.`);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) throw new PackRefusedError("ZIP64 archives are not accepted.");
    if (method !== 0 && method !== 8) throw new PackRefusedError(`The archive entry ${JSON.stringify(name)} uses compression method ${method}; only stored and deflate are read.`);
    if (size > limits.maxEntryBytes) throw new PackRefusedError(`The archive entry ${JSON.stringify(name)} is ${size} bytes uncompressed; at most ${limits.maxEntryBytes} are accepted.`);
    if (size > RATIO_FLOOR && size > compressedSize * limits.maxRatio) {
      throw new PackRefusedError(`The archive entry ${JSON.stringify(name)} inflates ${Math.round(size / Math.max(1, compressedSize))} times (${size} bytes); refused as a zip bomb.`);
    }
    total += size;
    if (total > limits.maxTotalBytes) throw new PackRefusedError(`The archive holds more than ${limits.maxTotalBytes} bytes uncompressed; refused.`);
    // Unix "made by" (3): the upper 16 bits of the external attributes are st_mode.
    const symlink = madeBy === 3 && ((external >>> 16) & 0o170000) === 0o120000;
    const dataOffset = localHeader(buf, { name, method, compressedSize, size, crc, localOffset }, dirOffset);
    entries.push({ name, method, compressedSize, size, crc, localOffset, dataOffset, directory: name.endsWith("/"), symlink });
  }
  // Entries whose bytes overlap (one deflate stream named by many entries) would multiply what a small file inflates
  // to, past every ratio check: each entry's header and data must be its own.
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const prev = byOffset[i - 1]!;
    if (byOffset[i]!.localOffset < prev.dataOffset + prev.compressedSize) {
      throw new PackRefusedError(`The archive entries ${JSON.stringify(prev.name)} and ${JSON.stringify(byOffset[i]!.name)} overlap; refused.`);
    }
  }
  if (total > RATIO_FLOOR && total > buf.length * limits.maxRatio) {
    throw new PackRefusedError(`The archive inflates ${Math.round(total / Math.max(1, buf.length))} times its size (${total} bytes); refused as a zip bomb.`);
  }
  return entries;
}

/**
 * An entry's local header, checked against its central directory record: the
 * same name and method, and (unless sizes follow the data, flag bit 3) the
 * same CRC and sizes; its data must end before the central directory. A zip
 * whose two headers disagree reads differently in different tools, so it is
 * refused rather than read one way. Answers where the data starts.
 */
function localHeader(buf: Buffer, e: Omit<ZipDirEntry, "dataOffset" | "directory" | "symlink">, dirOffset: number): number {
  const p = e.localOffset;
  const what = JSON.stringify(e.name);
  if (p + 30 > dirOffset || buf.readUInt32LE(p) !== LOCAL) throw new PackRefusedError(`The archive entry ${what} has no local header.`);
  const flags = buf.readUInt16LE(p + 6);
  const nameLen = buf.readUInt16LE(p + 26);
  const start = p + 30 + nameLen + buf.readUInt16LE(p + 28);
  if (start + e.compressedSize > dirOffset) throw new PackRefusedError(`The archive entry ${what} lies outside the file.`);
  const sizesAfter = (flags & 8) !== 0;
  const same = (at: number, want: number) => buf.readUInt32LE(p + at) === want || (sizesAfter && buf.readUInt32LE(p + at) === 0);
  if (buf.subarray(p + 30, p + 30 + nameLen).toString("utf8") !== e.name || buf.readUInt16LE(p + 8) !== e.method || !same(14, e.crc) || !same(18, e.compressedSize) || !same(22, e.size)) {
    throw new PackRefusedError(`The archive entry ${what} has a local header that differs from the central directory; refused.`);
  }
  return start;
}

/** One entry's bytes: inflated to at most its declared size, and refused unless size and CRC-32 match. */
export function readEntry(bytes: Uint8Array, e: ZipDirEntry): Uint8Array {
  const data = inflated(e, rawData(bytes, e), (raw) => inflateRawSync(raw, { maxOutputLength: e.size }));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * readEntry off the event loop: the inflate runs on libuv's thread pool, so
 * a control plane reading a large override answers other requests meanwhile.
 */
export async function readEntryAsync(bytes: Uint8Array, e: ZipDirEntry): Promise<Uint8Array> {
  const raw = rawData(bytes, e);
  const out = e.method === 0 || e.size === 0 ? null : await inflateRawAsync(raw, { maxOutputLength: e.size }).catch(() => undefined);
  const data = inflated(e, raw, () => {
    if (!out) throw new Error("no inflate");
    return out;
  });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function rawData(bytes: Uint8Array, e: ZipDirEntry): Buffer {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.dataOffset + e.compressedSize > buf.length) throw new PackRefusedError(`The archive entry ${JSON.stringify(e.name)} lies outside the file.`);
  return buf.subarray(e.dataOffset, e.dataOffset + e.compressedSize);
}

function inflated(e: ZipDirEntry, raw: Buffer, inflate: (raw: Buffer) => Buffer): Buffer {
  let data: Buffer;
  if (e.method === 0) data = raw;
  else {
    try {
      // maxOutputLength: a stream that inflates past the declared size stops there (RangeError), it is never held whole.
      data = e.size === 0 ? Buffer.alloc(0) : inflate(raw);
    } catch {
      throw new PackRefusedError(`The archive entry ${JSON.stringify(e.name)} does not inflate to its declared ${e.size} bytes.`);
    }
  }
  if (data.length !== e.size || crc32(data) !== e.crc) throw new PackRefusedError(`The archive entry ${JSON.stringify(e.name)} does not match its declared size and CRC.`);
  return data;
}
