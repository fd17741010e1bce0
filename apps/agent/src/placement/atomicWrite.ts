import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, rm } from "node:fs/promises";

/**
 * Writes via a temporary file, fsync and rename, so a crash leaves the old
 * file or the new one, never half of one. The temp name is unique and opened
 * O_CREAT|O_EXCL|O_NOFOLLOW: a name planted in advance (a file, or a symlink
 * to a host file) makes the write fail instead of writing through it; and
 * rename replaces a symlink at `path` itself, never what it points to.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.zlh-tmp-${randomBytes(4).toString("hex")}`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}
