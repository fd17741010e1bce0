import { lstat, mkdir } from "node:fs/promises";
import { isAbsolute, join, normalize, sep } from "node:path";
import { OpFailure } from "../ops/opFailure";

/**
 * The absolute path of `relative` inside `root`, refusing anything that could
 * write elsewhere: absolute paths, `..`, NUL bytes, and symlinks on the way
 * (a symlink inside the server directory could point anywhere on the host).
 * Missing parent directories are created, one checked component at a time.
 * `checkedDirs`, shared across the calls of one placement, skips directories
 * already checked (a Fabric install puts a dozen files under the same deep
 * `libraries/...` folders).
 */
export async function safeTarget(root: string, relative: string, createParents = true, checkedDirs?: Set<string>): Promise<string> {
  if (relative.includes("\0") || isAbsolute(relative) || relative.split(/[\\/]/).some((s) => s === ".." || s === "")) {
    throw new OpFailure("unsafe_path", `refusing path ${JSON.stringify(relative)}`, false);
  }
  const parts = normalize(relative).split(sep);
  let current = root;
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]!);
    const last = i === parts.length - 1;
    if (!last && checkedDirs?.has(current)) continue;
    const st = await lstat(current).catch(() => null);
    if (st?.isSymbolicLink()) throw new OpFailure("unsafe_path", `refusing to write through the symlink ${JSON.stringify(parts.slice(0, i + 1).join("/"))}`, false);
    if (!st && !last && createParents) await mkdir(current);
    if (st && !last && !st.isDirectory()) throw new OpFailure("unsafe_path", `${parts.slice(0, i + 1).join("/")} is not a directory`, false);
    if (!last && (st || createParents)) checkedDirs?.add(current);
  }
  return current;
}
