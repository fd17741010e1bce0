import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";

/** One file of the built operator console, held in memory with what its response needs. */
export interface ConsoleFile {
  body: Buffer;
  contentType: string;
  etag: string;
  /** A content-hashed asset (its name changes with its bytes): cached for good. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** The console is a few small files; more than this in its directory is not a console build. */
const MAX_FILES = 200;

/**
 * Reads a built console (apps/console's vite output) into a map from its
 * path under /ui/ to the file. Only regular files are taken (a link placed
 * in the directory is not followed), and the map is all that is ever
 * served, so no request path can reach a file outside it. Null when the
 * directory has no index.html (the console is not built).
 */
export async function loadConsoleFiles(dir: string): Promise<Map<string, ConsoleFile> | null> {
  const files = new Map<string, ConsoleFile>();
  async function walk(rel: string): Promise<void> {
    for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.startsWith(".")) {
        if (files.size >= MAX_FILES) throw new Error(`${dir} holds more than ${MAX_FILES} files: not a console build.`);
        const full = join(dir, path);
        if (!(await lstat(full)).isFile()) continue;
        const body = await readFile(full);
        files.set(path, {
          body,
          contentType: TYPES[extname(path)] ?? "application/octet-stream",
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
          immutable: path.startsWith("assets/"),
        });
      }
    }
  }
  try {
    await walk("");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return files.has("index.html") ? files : null;
}
