import { fetchPackDownload, isPackDownload, RedirectRefusedError } from "./packRedirects";
import { bodyWithin, jsonWithin, readAll } from "./bodyWithin";
import { ArtifactFetchError, ArtifactNotFoundError, fetchFailure, type ArtifactSource, type FetchOptions } from "./source";

export interface UpstreamOptions {
  userAgent: string;
  /** Requests per minute across all upstream hosts (Modrinth allows 300). */
  perMinute?: number;
  maxRetries?: number;
  /** Waits are capped at this, so a wrong reset header cannot stall a job for an hour. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * One attempt's bound, headers and body together (60 s): a mirror dripping bytes holds a job no longer than one
   * that never answers. A download may set its own (FetchOptions.timeoutMs).
   */
  timeoutMs?: number;
}

/**
 * The real upstreams (Fabric meta and maven, Mojang piston-meta, Modrinth):
 * a unique User-Agent (Modrinth requires one), at most `perMinute` requests a
 * minute (a token bucket), and bounded retries: on 429 it waits for
 * `X-Ratelimit-Reset` seconds (Modrinth's header), on 5xx and network errors
 * it backs off exponentially. A 404, and a 400 (Fabric meta's "no such
 * version"), are final: retrying cannot change them.
 */
export function upstreamSource(o: UpstreamOptions): ArtifactSource {
  const perMinute = o.perMinute ?? 300;
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let tokens = perMinute;
  let refilledAt = Date.now();
  const take = async () => {
    for (;;) {
      const now = Date.now();
      tokens = Math.min(perMinute, tokens + ((now - refilledAt) / 60_000) * perMinute);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - tokens) / perMinute) * 60_000));
    }
  };
  const defaultTimeoutMs = o.timeoutMs ?? 60_000;
  /**
   * The answer and the time by which its body must have arrived. Each attempt has the source's bound; a download
   * with its own (`bound`) has that for all its attempts together, so a longer bound is not multiplied by the retries.
   */
  const request = async (url: string, bound?: number): Promise<{ res: Response; deadline: number }> => {
    const retries = o.maxRetries ?? 5;
    const end = bound === undefined ? Number.POSITIVE_INFINITY : Date.now() + bound;
    for (let attempt = 0; ; attempt++) {
      await take();
      let res: Response | null = null;
      const timeoutMs = bound === undefined ? defaultTimeoutMs : Math.max(1, end - Date.now());
      const deadline = Date.now() + timeoutMs;
      try {
        const init = { headers: { "user-agent": o.userAgent }, signal: AbortSignal.timeout(timeoutMs) };
        // A pack's files are named by hostile input: their redirects are followed only to the hosts a pack may use.
        res = isPackDownload(url) ? await fetchPackDownload(url, init) : await fetch(url, init);
      } catch (err) {
        if (err instanceof RedirectRefusedError) throw err;
        if (attempt >= retries || Date.now() >= end) throw fetchFailure(url, err, bound ?? timeoutMs); // the bound asked for, not what was left of it
      }
      if (res) {
        if (res.ok) return { res, deadline };
        if (res.status === 404 || res.status === 400) throw new ArtifactNotFoundError(url, res.status, await res.text().catch(() => ""));
        if (attempt >= retries || Date.now() >= end || (res.status !== 429 && res.status < 500)) throw new ArtifactFetchError(url, `answered ${res.status}`);
      }
      const reset = Number(res?.headers.get("x-ratelimit-reset"));
      const wait = res?.status === 429 && Number.isFinite(reset) && reset >= 0 ? reset * 1000 : 250 * 2 ** attempt;
      await sleep(Math.min(wait, o.maxWaitMs ?? 120_000));
    }
  };
  return {
    kind: "upstream",
    async fetchJson<T>(url: string) {
      return jsonWithin<T>(url, await bodyOf(url));
    },
    async fetchBytes(url: string, opts?: FetchOptions) {
      return readAll(await bodyOf(url, opts));
    },
    async fetchStream(url: string, opts?: FetchOptions) {
      return bodyOf(url, opts);
    },
  };

  async function bodyOf(url: string, opts?: FetchOptions): Promise<AsyncIterable<Uint8Array>> {
    const { res, deadline } = await request(url, opts?.timeoutMs);
    if (!res.body) throw new ArtifactFetchError(url, "answered without a body");
    return bodyWithin(url, res.body, deadline, opts?.timeoutMs ?? defaultTimeoutMs);
  }
}
