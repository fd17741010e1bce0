import { constants } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Up to `maxBytes` of `path` from byte `offset` on, and its size; a file that
 * does not exist reads as empty. O_NOFOLLOW: a container's root can make the
 * path a link to a host file, which must not be read.
 */
export async function readFileBounded(path: string, offset: number, maxBytes: number): Promise<{ data: Buffer; size: number }> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { data: Buffer.alloc(0), size: 0 };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    if (offset >= size) return { data: Buffer.alloc(0), size };
    const data = Buffer.alloc(Math.min(maxBytes, size - offset));
    const { bytesRead } = await fh.read(data, 0, data.length, offset);
    return { data: data.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}
