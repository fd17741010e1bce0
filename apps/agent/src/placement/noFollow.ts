import { constants } from "node:fs";
import { open } from "node:fs/promises";

/**
 * Reads that never follow a symlink at the last component (O_NOFOLLOW:
 * ELOOP instead). Placement writes into a filesystem whose root is the
 * customer's: between two checks a file can become a link to a host file,
 * and reading it (to compare, or to hash) must not read the host's file.
 */
export async function readFileNoFollow(path: string, encoding: "utf8"): Promise<string | null> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    return await fh.readFile(encoding);
  } finally {
    await fh.close();
  }
}

/** A read stream of `path` that refuses a symlink (see readFileNoFollow); it closes the file when done. */
export async function readStreamNoFollow(path: string) {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  return fh.createReadStream();
}
