import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";

/** Writes via a temporary file, fsync and rename, so a crash leaves the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.zlh-tmp-${randomBytes(4).toString("hex")}`;
  const fh = await open(tmp, "wx", 0o644);
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
