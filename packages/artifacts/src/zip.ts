import { crc32 } from "node:zlib";
import { unzipSync } from "fflate";

export interface ZipEntry {
  name: string;
  data: Uint8Array;
}

/**
 * 1980-01-01 00:00, the earliest MS-DOS timestamp. Every entry gets it, so a
 * zip built from the same entries is the same bytes on every machine: a
 * library that stamps "now" (or converts a Date in the local time zone, as
 * DOS times are) would give each host a different sha512.
 */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/**
 * A zip whose entries are stored (method 0, no compression), in the order
 * given, with fixed timestamps: reproducible to the byte, so its sha512 can be
 * pinned in a manifest and re-checked by whoever builds it again. Stored
 * entries are also what the simulated server (apps/agent/src/sim) can read
 * without a zlib.
 */
export function storedZip(entries: readonly ZipEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8");
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(e.data.byteLength, 18);
    local.writeUInt32LE(e.data.byteLength, 22);
    local.writeUInt16LE(name.byteLength, 26);
    local.writeUInt16LE(0, 28);
    parts.push(local, name, e.data);

    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4); // made by: 2.0
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(0, 10);
    c.writeUInt16LE(DOS_TIME, 12);
    c.writeUInt16LE(DOS_DATE, 14);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(e.data.byteLength, 20);
    c.writeUInt32LE(e.data.byteLength, 24);
    c.writeUInt16LE(name.byteLength, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += local.byteLength + name.byteLength + e.data.byteLength;
  }
  const centralSize = central.reduce((n, b) => n + b.byteLength, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, ...central, end]));
}

/** Every entry of a zip (stored or deflated), in the order of its central directory. Throws on what is not a zip. */
export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  return Object.entries(unzipSync(bytes)).map(([name, data]) => ({ name, data }));
}

/** One entry's bytes, or null when the zip has no such entry. */
export function zipEntry(bytes: Uint8Array, name: string): Uint8Array | null {
  const found = unzipSync(bytes, { filter: (f) => f.name === name });
  return found[name] ?? null;
}
