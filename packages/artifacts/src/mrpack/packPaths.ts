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
