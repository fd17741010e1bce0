import { ArtifactFetchError, ArtifactNotFoundError, INSTALLER_FILE_PREFIX, streamFrom, UPLOADED_PACK_PREFIX, type ArtifactSource } from "@zlh/artifacts";

/** The largest file an agent will take whole from the control plane (the control plane refuses larger uploads, and installs, well before). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Files only the control plane has, by URL prefix, and the agent route that serves each by sha512. */
const ROUTES = [
  { prefix: UPLOADED_PACK_PREFIX, route: "/v1/agent/modpack", what: "pack" },
  { prefix: INSTALLER_FILE_PREFIX, route: "/v1/agent/neoforge-file", what: "file" },
] as const;

/**
 * The agent's artifact source plus the files no upstream or mirror has:
 * packs customers uploaded (`zlh:modpack/<sha512>`) and files NeoForge's
 * installer made when the control plane ran it (`zlh:neoforge/<sha512>`),
 * fetched from the control plane with this host's token. The bytes are
 * verified by the cache (size and sha512) like everything else it fetches,
 * which streams them (fetchStream) and stops past the pinned size.
 */
export function withControlPlaneFiles(source: ArtifactSource, controlUrl: string, agentToken: string): ArtifactSource {
  const base = controlUrl.replace(/^ws/, "http").replace(/\/+$/, "");
  const request = async (url: string, served: (typeof ROUTES)[number]): Promise<ReadableStream<Uint8Array>> => {
    const sha512 = url.slice(served.prefix.length);
    if (!/^[0-9a-f]{128}$/.test(sha512)) throw new ArtifactNotFoundError(url);
    let res: Response;
    try {
      res = await fetch(`${base}${served.route}?sha512=${sha512}`, { headers: { authorization: `Bearer ${agentToken}` }, signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new ArtifactFetchError(url, (err as Error).message);
    }
    if (res.status === 404) throw new ArtifactNotFoundError(url);
    if (!res.ok || !res.body) throw new ArtifactFetchError(url, `the control plane answered ${res.status}`);
    return res.body;
  };
  const routeOf = (url: string) => ROUTES.find((r) => url.startsWith(r.prefix));
  return {
    kind: source.kind,
    fetchJson: (url) => source.fetchJson(url),
    async fetchStream(url, opts) {
      const served = routeOf(url);
      return served ? request(url, served) : streamFrom(source, url, opts);
    },
    async fetchBytes(url, opts) {
      const served = routeOf(url);
      if (!served) return source.fetchBytes(url, opts);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of await request(url, served)) {
        size += chunk.byteLength;
        if (size > MAX_FILE_BYTES) throw new ArtifactFetchError(url, `the ${served.what} is over ${MAX_FILE_BYTES} bytes`);
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}
