import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import { join } from "node:path";

/** NeoForge 21.1's server install is about 150 files and 80 MiB; the bounds leave room and stop a runaway. */
export const TREE_MAX_FILES = 5_000;
export const TREE_MAX_BYTES = 1024 * 1024 * 1024;

/**
 * A name the agent's placement would read as another path (it splits a
 * path on a backslash too, so a file named `..\x` is a `..` segment there)
 * or that breaks a line of its records: refused here once, not at every
 * placement of every server pinning the build.
 */
const unplaceable = (name: string) => [...name].some((c) => c === "\\" || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** The tree holds something placement must never carry (a link, a FIFO, a device) or breaks the bounds. */
export class TreeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TreeRefusedError";
  }
}

export interface ProducedFile {
  /** Relative to the server directory, `/`-separated. */
  path: string;
  size: number;
  sha512: string;
  sha1: string;
  bytes: Uint8Array;
}

/**
 * Every regular file under `dir`, walked with lstat (a link is never
 * followed: it is refused, as are FIFOs, sockets and devices, which an
 * installer has no reason to make and placement must never copy, and a
 * name placement cannot carry: unplaceable), within
 * TREE_MAX_FILES and TREE_MAX_BYTES, each hashed. Sorted by path, so one
 * tree always pins the same way.
 */
export async function readProducedTree(dir: string, limits = { maxFiles: TREE_MAX_FILES, maxBytes: TREE_MAX_BYTES }): Promise<ProducedFile[]> {
  const out: ProducedFile[] = [];
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel)).catch((err) => {
      throw unreadable(err, rel || "its server directory") ?? err;
    })).sort();
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (unplaceable(name)) throw new TreeRefusedError(`the NeoForge installer made ${JSON.stringify(path)}, a name placement cannot carry (a backslash or a control character); refused.`);
      const st = await lstat(join(dir, path));
      if (st.isDirectory()) {
        await walk(path);
        continue;
      }
      if (st.isSymbolicLink()) throw new TreeRefusedError(`the NeoForge installer made a symbolic link at ${path}; refused.`);
      if (!st.isFile()) throw new TreeRefusedError(`the NeoForge installer made ${path}, which is not a regular file (a FIFO, socket or device); refused.`);
      if (out.length + 1 > limits.maxFiles) throw new TreeRefusedError(`the NeoForge installer made more than ${limits.maxFiles} files; refused.`);
      total += st.size;
      if (total > limits.maxBytes) throw new TreeRefusedError(`the NeoForge installer made more than ${limits.maxBytes} bytes of files; refused.`);
      const bytes = await readNoFollow(join(dir, path), path, st.size);
      out.push({ path, size: bytes.byteLength, sha512: createHash("sha512").update(bytes).digest("hex"), sha1: createHash("sha1").update(bytes).digest("hex"), bytes });
    }
  };
  await walk("");
  return out;
}

/** Opened without following a link and without blocking on a FIFO, and checked to be the regular file lstat saw: a swap after lstat is refused. */
async function readNoFollow(abs: string, path: string, size: number): Promise<Uint8Array> {
  const fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((err) => {
    throw unreadable(err, path) ?? new TreeRefusedError(`${path} changed while it was read; refused.`);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size !== size) throw new TreeRefusedError(`${path} changed while it was read; refused.`);
    const bytes = new Uint8Array(await fh.readFile());
    if (bytes.byteLength !== size) throw new TreeRefusedError(`${path} changed while it was read; refused.`);
    return bytes;
  } finally {
    await fh.close();
  }
}

/** A directory or file the installer left with no read permission (`chmod 000`): a non-root control plane cannot read it, and placement could not either. */
function unreadable(err: unknown, path: string): TreeRefusedError | null {
  return (err as NodeJS.ErrnoException).code === "EACCES" ? new TreeRefusedError(`the NeoForge installer left ${path} unreadable; refused.`) : null;
}
