import { ArtifactFetchError, ArtifactNotFoundError, UPLOADED_PACK_PREFIX, type ArtifactSource } from "@zlh/artifacts";

/** The largest uploaded pack an agent will take from the control plane (the control plane refuses larger uploads well before). */
const MAX_PACK_BYTES = 1024 * 1024 * 1024;

/**
 * The agent's artifact source plus the packs customers uploaded: those are
 * not on any upstream or mirror, so a `zlh:modpack/<sha512>` URL is fetched
 * from the control plane with this host's token. The bytes are verified by
 * the cache (size and sha512) like everything else it fetches.
 */
export function withUploadedPacks(source: ArtifactSource, controlUrl: string, agentToken: string): ArtifactSource {
  const base = controlUrl.replace(/^ws/, "http").replace(/\/+$/, "");
  return {
    kind: source.kind,
    fetchJson: (url) => source.fetchJson(url),
    async fetchBytes(url) {
      if (!url.startsWith(UPLOADED_PACK_PREFIX)) return source.fetchBytes(url);
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
      const declared = Number(res.headers.get("content-length") ?? Number.NaN);
      if (declared > MAX_PACK_BYTES) throw new ArtifactFetchError(url, `the pack is ${declared} bytes, over ${MAX_PACK_BYTES}`);
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > MAX_PACK_BYTES) throw new ArtifactFetchError(url, `the pack is over ${MAX_PACK_BYTES} bytes`);
        chunks.push(chunk);
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}
