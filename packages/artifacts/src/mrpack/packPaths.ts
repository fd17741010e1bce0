/**
 * Why a path from a pack (a `files[].path`, or an override entry below its
 * folder) could leave the server directory or mean something else than a
 * plain relative file on some system, or null when it is safe: absolute
 * paths, drive letters, backslashes, `.` and `..` segments, empty segments,
 * NUL and other control characters, and paths into the platform's own
 * `.zlh/` record are refused.
 */
export function packPathProblem(path: string): string | null {
  if (path.length === 0 || path.length > 512) return "is empty or longer than 512 characters";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(path)) return "holds a control character";
  if (path.includes("\\")) return "holds a backslash";
  if (path.startsWith("/")) return "is absolute";
  if (/^[A-Za-z]:/.test(path)) return "starts with a drive letter";
  const segments = path.split("/");
  if (segments.some((s) => s === "..")) return "escapes the server directory (..)";
  if (segments.some((s) => s === "." || s === "")) return "has an empty or . segment";
  if (segments[0] === ".zlh") return "writes into the platform's .zlh directory";
  return null;
}

/**
 * The first path of `paths` that another one needs as a directory
 * (`config` beside `config/a.toml`), as `[file, inside]`, or null: such a set
 * can never be placed (the guest worker would refuse the second write after
 * the first), so it is refused where it is read, before anything is written.
 */
export function fileDirectoryClash(paths: Iterable<string>): [string, string] | null {
  const all = new Set(paths);
  for (const p of all) {
    for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) {
      const dir = p.slice(0, i);
      if (all.has(dir)) return [dir, p];
    }
  }
  return null;
}
