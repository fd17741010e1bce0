import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bodyWithin, jsonWithin, readAll } from "./bodyWithin";
import { mirrorPath, mirrorRefusalPath } from "./mirrorPath";
import { ArtifactFetchError, ArtifactNotFoundError, fetchFailure, type ArtifactSource, type FetchOptions } from "./source";

/** The offline mirror bundled with the repository (small fixture artifacts and the metadata to resolve them). */
export const OFFLINE_MIRROR_DIR = fileURLToPath(
  // In the built bundles (ZLH_BUNDLED), the copy next to them.
  process.env.ZLH_BUNDLED === "1" ? new URL("./offline-mirror", import.meta.url) : new URL("../../../fixtures/offline-mirror", import.meta.url),
);

/**
 * A mirror: a local directory, or an HTTP base URL, holding upstream files at
 * `mirrorPath(url)`. A directory records upstream's 400 answers too, as
 * `mirrorRefusalPath(url)` holding the body; an HTTP mirror passes 400 on.
 */
export function mirrorSource(location: string, kind: "mirror" | "offline" = "mirror", opts: { timeoutMs?: number } = {}): ArtifactSource {
  const http = /^https?:\/\//.test(location);
  /** The bound of one HTTP mirror request, headers and body together (60 s), unless the download sets its own. */
  const defaultTimeoutMs = opts.timeoutMs ?? 60_000;
  /** Where a URL's file is: a local path or an HTTP response's body, read by the request's bound (a URL the mirror lacks: ArtifactNotFoundError). */
  const open = async (url: string, fetchOpts?: FetchOptions): Promise<{ file: string } | { body: AsyncIterable<Uint8Array> }> => {
    const path = mirrorPath(url);
    if (http) {
      const timeoutMs = fetchOpts?.timeoutMs ?? defaultTimeoutMs;
      // The file's name is the path (with its literal %XX, e.g. Temurin's `jdk-21.0.7%2B6`, an encoded query): each
      // segment is percent-encoded once more, so a static file server, which decodes the request, finds that name.
      const at = `${location.replace(/\/+$/, "")}/${path.split("/").map(encodeURIComponent).join("/")}`;
      const deadline = Date.now() + timeoutMs;
      const res = await fetch(at, { signal: AbortSignal.timeout(timeoutMs) }).catch((err: unknown) => {
        throw fetchFailure(at, err);
      });
      if (res.status === 404 || res.status === 400) throw new ArtifactNotFoundError(url, res.status, await res.text().catch(() => ""));
      if (!res.ok) throw new ArtifactFetchError(at, `the mirror answered ${res.status} for ${url}`);
      if (!res.body) throw new ArtifactFetchError(url, "the mirror answered without a body");
      return { body: bodyWithin(at, res.body, deadline, timeoutMs) };
    }
    const file = join(location, path);
    if ((await stat(file).catch(() => null))?.isFile()) return { file };
    // A recorded refusal: upstream answers this URL with 400 and this body.
    const refused = await readFile(join(location, mirrorRefusalPath(url)), "utf8").catch(() => null);
    throw new ArtifactNotFoundError(url, refused === null ? 404 : 400, refused ?? "");
  };
  const read = async (url: string, fetchOpts?: FetchOptions): Promise<Uint8Array> => {
    const at = await open(url, fetchOpts);
    return "file" in at ? await readFile(at.file) : readAll(at.body);
  };
  return {
    kind,
    fetchBytes: read,
    async fetchStream(url: string, fetchOpts?: FetchOptions): Promise<AsyncIterable<Uint8Array>> {
      const at = await open(url, fetchOpts);
      return "file" in at ? createReadStream(at.file) : at.body;
    },
    async fetchJson<T>(url: string) {
      const at = await open(url);
      return jsonWithin<T>(url, "file" in at ? createReadStream(at.file) : at.body);
    },
  };
}
