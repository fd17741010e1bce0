import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mirrorPath } from "./mirrorPath";
import { ArtifactNotFoundError, type ArtifactSource } from "./source";

/** The offline mirror bundled with the repository (small fixture artifacts and the metadata to resolve them). */
export const OFFLINE_MIRROR_DIR = fileURLToPath(new URL("../../../fixtures/offline-mirror", import.meta.url));

/** A mirror: a local directory, or an HTTP base URL, holding upstream files at `mirrorPath(url)`. */
export function mirrorSource(location: string, kind: "mirror" | "offline" = "mirror"): ArtifactSource {
  const http = /^https?:\/\//.test(location);
  const read = async (url: string): Promise<Uint8Array> => {
    const path = mirrorPath(url);
    if (http) {
      const res = await fetch(`${location.replace(/\/+$/, "")}/${path}`, { signal: AbortSignal.timeout(60_000) });
      if (res.status === 404) throw new ArtifactNotFoundError(url);
      if (!res.ok) throw new Error(`mirror answered ${res.status} for ${url}`);
      return new Uint8Array(await res.arrayBuffer());
    }
    try {
      return await readFile(join(location, path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new ArtifactNotFoundError(url);
      throw err;
    }
  };
  return {
    kind,
    fetchBytes: read,
    async fetchJson<T>(url: string) {
      return JSON.parse(new TextDecoder().decode(await read(url))) as T;
    },
  };
}
