import { createHash, type Hash } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";

export interface StreamedFile {
  /** Bytes written (at most the limit). */
  size: number;
  /** The stream had more than `limit` bytes: it was abandoned there, and the file holds only the first `limit`. */
  overflow: boolean;
  sha512: string;
  sha1?: string;
  sha256?: string;
}

/**
 * Writes a download to `path` (a new file, O_EXCL|O_NOFOLLOW so a planted
 * name or link is never written through), hashing it as it arrives, and
 * stops reading at the first chunk that would take it past `limit`: the
 * stream is abandoned there (for a fetch body, its connection is closed), so
 * an endless or oversized answer never costs more than `limit` bytes of disk
 * and one chunk of memory. The file is fsynced before the answer, so a rename
 * into place after the caller's checks is durable.
 */
export async function streamToFile(body: AsyncIterable<Uint8Array>, path: string, limit: number, also: { sha1?: boolean; sha256?: boolean } = {}): Promise<StreamedFile> {
  const hashes: Hash[] = [createHash("sha512")];
  if (also.sha1) hashes.push(createHash("sha1"));
  if (also.sha256) hashes.push(createHash("sha256"));
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  let size = 0;
  let overflow = false;
  try {
    for await (const chunk of body) {
      if (size + chunk.byteLength > limit) {
        overflow = true;
        break; // leaving the loop returns the iterator: a fetch body cancels its request
      }
      size += chunk.byteLength;
      for (const h of hashes) h.update(chunk);
      await fh.write(chunk);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const [sha512, ...rest] = hashes.map((h) => h.digest("hex"));
  return { size, overflow, sha512: sha512!, ...(also.sha1 ? { sha1: rest.shift() } : {}), ...(also.sha256 ? { sha256: rest.shift() } : {}) };
}
