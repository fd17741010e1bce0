import { Readable } from "node:stream";
import { modpackUploadSlice, neoforgeFileSlice, type Db } from "@zlh/db";

/** What one query reads of a stored file: a slice, so a file is never held whole, nor a bytea read as hex whole. */
const SLICE = 4 * 1024 * 1024;

/** Reads bytes `[offset, offset + length)` of one stored file; empty when it is no longer stored. */
type SliceReader = (offset: number, length: number) => Promise<Uint8Array>;

/**
 * A file stored as bytea, as a stream of slices read one at a time as the
 * client takes them (a slow agent holds one slice, not the file). A file
 * removed meanwhile ends the stream with `gone`: the agent's cache refuses
 * it by its pinned size and hash, as any broken download.
 */
export function storedBytesStream(readSlice: SliceReader, size: number, gone: string, slice = SLICE): Readable {
  let offset = 0;
  return new Readable({
    // One slice buffered ahead at most: a slow agent costs two slices of memory, not the file.
    highWaterMark: slice,
    async read() {
      try {
        if (offset >= size) return void this.push(null);
        const part = await readSlice(offset, Math.min(slice, size - offset));
        if (part.byteLength === 0) return void this.destroy(new Error(gone));
        offset += part.byteLength;
        this.push(part);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}

/** A stored (uploaded) modpack's bytes, in slices. */
export function uploadedPackStream(db: Db, sha512: string, size: number, slice = SLICE): Readable {
  return storedBytesStream((offset, length) => modpackUploadSlice(db, sha512, offset, length), size, `modpack ${sha512} is no longer stored`, slice);
}

/** A file NeoForge's installer made (neoforge_files), in slices: a 100 MB file is never one query's answer. */
export function neoforgeFileStream(db: Db, sha512: string, size: number, slice = SLICE): Readable {
  return storedBytesStream((offset, length) => neoforgeFileSlice(db, sha512, offset, length), size, `NeoForge installer file ${sha512} is no longer stored`, slice);
}
