import { Readable } from "node:stream";
import { modpackUploadSlice, type Db } from "@zlh/db";

/** What one query reads of a pack: a slice, so a pack is never held whole, nor a bytea read as hex whole. */
const SLICE = 4 * 1024 * 1024;

/**
 * A stored pack's bytes as a stream of slices read one at a time, as the
 * client takes them (a slow agent holds one slice, not the pack). A pack
 * removed meanwhile ends the stream short: the agent's cache refuses it by
 * its pinned size, as any broken download.
 */
export function uploadedPackStream(db: Db, sha512: string, size: number, slice = SLICE): Readable {
  let offset = 0;
  return new Readable({
    // One slice buffered ahead at most: a slow agent costs two slices of memory, not the pack.
    highWaterMark: slice,
    async read() {
      try {
        if (offset >= size) return void this.push(null);
        const part = await modpackUploadSlice(db, sha512, offset, Math.min(slice, size - offset));
        if (part.byteLength === 0) return void this.destroy(new Error(`modpack ${sha512} is no longer stored`));
        offset += part.byteLength;
        this.push(part);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}
