import { lstat, mkdir } from "node:fs/promises";
import { isAbsolute, join, normalize, sep } from "node:path";
import { OpFailure } from "../ops/opFailure";

/**
 * The absolute path of `relative` inside `root`, refusing anything that could
 * write elsewhere: absolute paths, `..`, NUL bytes, and symlinks on the way
 * (a symlink inside the server directory could point anywhere on the host).
 * Missing parent directories are created, one checked component at a time.
 */
export async function safeTarget(root: string, relative: string, createParents = true): Promise<string> {
  if (relative.includes("\0") || isAbsolute(relative) || relative.split(/[\\/]/).some((s) => s === ".." || s === "")) {
    throw new OpFailure("unsafe_path", `refusing path ${JSON.stringify(relative)}`, false);
  }
  const parts = normalize(relative).split(sep);
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]!);
    const st = await lstat(current).catch(() => null);
    if (st?.isSymbolicLink()) throw new OpFailure("unsafe_path", `refusing to write through the symlink ${JSON.stringify(parts.slice(0, i + 1).join("/"))}`, false);
    const last = i === parts.length - 1;
    if (!st && !last && createParents) await mkdir(current);
    if (st && !last && !st.isDirectory()) throw new OpFailure("unsafe_path", `${parts.slice(0, i + 1).join("/")} is not a directory`, false);
  }
  return current;
}
