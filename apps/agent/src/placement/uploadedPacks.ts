import { ArtifactFetchError, ArtifactNotFoundError, streamFrom, UPLOADED_PACK_PREFIX, type ArtifactSource } from "@zlh/artifacts";

/** The largest uploaded pack an agent will take whole from the control plane (the control plane refuses larger uploads well before). */
const MAX_PACK_BYTES = 256 * 1024 * 1024;

/**
 * The agent's artifact source plus the packs customers uploaded: those are
 * not on any upstream or mirror, so a `zlh:modpack/<sha512>` URL is fetched
 * from the control plane with this host's token. The bytes are verified by
 * the cache (size and sha512) like everything else it fetches, which streams
 * them (fetchStream) and stops past the pinned size.
 */
export function withUploadedPacks(source: ArtifactSource, controlUrl: string, agentToken: string): ArtifactSource {
  const base = controlUrl.replace(/^ws/, "http").replace(/\/+$/, "");
  const request = async (url: string): Promise<ReadableStream<Uint8Array>> => {
    const sha512 = url.slice(UPLOADED_PACK_PREFIX.length);
    if (!/^[0-9a-f]{128}$/.test(sha512)) throw new ArtifactNotFoundError(url);
    let res: Response;
    try {
      res = await fetch(`${base}/v1/agent/modpack?sha512=${sha512}`, { headers: { authorization: `Bearer ${agentToken}` }, signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      throw new ArtifactFetchError(url, (err as Error).message);
    }
    if (res.status === 404) throw new ArtifactNotFoundError(url);
    if (!res.ok || !res.body) throw new ArtifactFetchError(url, `the control plane answered ${res.status}`);
    return res.body;
  };
  return {
    kind: source.kind,
    fetchJson: (url) => source.fetchJson(url),
    async fetchStream(url) {
      if (!url.startsWith(UPLOADED_PACK_PREFIX)) return streamFrom(source, url);
      return request(url);
    },
    async fetchBytes(url) {
      if (!url.startsWith(UPLOADED_PACK_PREFIX)) return source.fetchBytes(url);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of await request(url)) {
        size += chunk.byteLength;
        if (size > MAX_PACK_BYTES) throw new ArtifactFetchError(url, `the pack is over ${MAX_PACK_BYTES} bytes`);
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}
