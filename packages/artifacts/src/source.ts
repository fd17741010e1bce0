/** One download's own terms, where the source's defaults do not fit it. */
export interface FetchOptions {
  /**
   * The bound of this download, headers and body (and a retrying source's attempts) together, instead of the
   * source's own per attempt (60 s): a download its caller bounds itself, for longer (a modpack's 5 minutes), is
   * not cut at the source's shorter default first.
   */
  timeoutMs?: number;
}

/** Where artifacts and their metadata come from. Every fetch names the upstream URL. */
export interface ArtifactSource {
  readonly kind: "upstream" | "mirror" | "offline";
  fetchJson<T = unknown>(url: string): Promise<T>;
  fetchBytes(url: string, opts?: FetchOptions): Promise<Uint8Array>;
  /**
   * The same bytes as a stream, for a consumer that must not hold a file whole (the agent's cache streams to disk
   * and stops as soon as a file is longer than pinned). Sources without it are read with fetchBytes.
   */
  fetchStream?(url: string, opts?: FetchOptions): Promise<AsyncIterable<Uint8Array>>;
}

/** A source's bytes for `url` as a stream: its fetchStream, or fetchBytes's answer as one chunk for a source without. */
export async function streamFrom(source: ArtifactSource, url: string, opts?: FetchOptions): Promise<AsyncIterable<Uint8Array>> {
  if (source.fetchStream) return source.fetchStream(url, opts);
  const bytes = await source.fetchBytes(url, opts);
  return (async function* () {
    yield bytes;
  })();
}

/**
 * At most `limit` bytes of `url`, or null as soon as the source sends more:
 * a file whose size is published is never read past it (a source without
 * fetchStream is read whole, then judged).
 */
export async function fetchAtMost(source: ArtifactSource, url: string, limit: number): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of await streamFrom(source, url)) {
    size += chunk.byteLength;
    if (size > limit) return null; // leaving the loop cancels the download
    parts.push(chunk);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Upstream said, for good, that there is no such thing: a 404, or Fabric
 * meta's 400 (its answer for a game, loader or installer version it does not
 * know, or a loader too old for unattended installs). Not worth retrying; the
 * server fails at once with a clear reason.
 */
export class ArtifactNotFoundError extends Error {
  constructor(
    readonly url: string,
    readonly status: 400 | 404 = 404,
    readonly body = "",
  ) {
    super(`${status === 400 ? "refused (400)" : "not found"}: ${url}${body && body !== "[]" ? `: ${body.slice(0, 200)}` : ""}`);
    this.name = "ArtifactNotFoundError";
  }
}

/**
 * A fetch that kept failing for a reason that may pass (no network, DNS, a
 * refused connection, a timeout, a 5xx or 429 after the retries): the job
 * retries later. Names the URL and why, as fetch's own "fetch failed" does not.
 */
export class ArtifactFetchError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`could not fetch ${url}: ${reason}`);
    this.name = "ArtifactFetchError";
  }
}

/** Why a fetch threw, from undici's cause (e.g. "getaddrinfo ENOTFOUND meta.fabricmc.net", "connect ECONNREFUSED 127.0.0.1:9"). */
export function fetchFailure(url: string, err: unknown, timeoutMs = 60_000): ArtifactFetchError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.message ?? e.cause?.code;
  const reason = e.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : cause ? `${e.message} (${cause})` : e.message;
  return new ArtifactFetchError(url, reason);
}
