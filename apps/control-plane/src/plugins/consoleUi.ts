import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { fileURLToPath } from "node:url";
import { loadConsoleFiles, type ConsoleFile } from "../http/consoleFiles";

/**
 * The console's own scripts and styles only (no inline script or style
 * element, nothing from elsewhere); it talks to this origin's API alone and
 * may not be framed.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** The release puts the build next to the bundle (scripts/release/build.ts); from source it is apps/console/dist. */
function consoleDir(): string {
  return fileURLToPath(process.env.ZLH_BUNDLED === "1" ? new URL("./ui/", import.meta.url) : new URL("../../../console/dist/", import.meta.url));
}

/**
 * Where a request under /ui/ points in the build, or null for a path that
 * tries to leave it (`..`, `.`, an encoded slash or backslash, a NUL) or
 * cannot be decoded.
 */
export function consolePath(url: string): string | null {
  const path = url.split("?")[0]!.replace(/^\/ui\/?/, "");
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "." || segment === ".." || /[/\\\0]/.test(segment)) return null;
    if (segment !== "") segments.push(segment);
  }
  return segments.join("/");
}

/**
 * The operator console (apps/console, docs/console.md) at /ui: its built
 * files from memory, every other path under /ui/ answered with index.html
 * (the console routes in the browser), a path that climbs out refused.
 * Hashed assets are cached for good, index.html is revalidated every time.
 * Open: the files hold no data; the console asks for a token and sends it
 * to the API itself.
 */
export const consoleUiPlugin = fp<{ dir?: string }>(async (app: FastifyInstance, opts) => {
  const dir = opts.dir ?? consoleDir();
  let files: Map<string, ConsoleFile> | null = null;
  // Read once it exists: a build made after the start (pnpm dev, the tests) is found on the next request.
  const current = async () => (files ??= await loadConsoleFiles(dir));

  async function serve(request: FastifyRequest, reply: FastifyReply) {
    reply.headers(SECURITY_HEADERS);
    const path = consolePath(request.url);
    if (path === null) return reply.status(400).send({ error: "invalid_request", message: "The path leaves /ui/; it is refused." });
    const built = await current();
    if (!built) {
      return reply.status(404).send({ error: "not_found", message: "The operator console is not built here: `pnpm build` puts it in the release, `pnpm dev` builds it." });
    }
    let file = built.get(path);
    if (!file) {
      // A missing asset is a 404 (a stale tab asking for an old hash), not the page in its place.
      if (path.startsWith("assets/")) return reply.status(404).send({ error: "not_found", message: `No console file ${path}.` });
      file = built.get("index.html")!;
    }
    reply.header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache").header("etag", file.etag);
    if (request.headers["if-none-match"] === file.etag) return reply.status(304).send();
    return reply.type(file.contentType).send(file.body);
  }

  const options = { schema: { hide: true } };
  app.get("/ui", options, serve);
  app.get("/ui/*", options, serve);
});
