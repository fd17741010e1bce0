import { PACK_DOWNLOAD_HOSTS } from "./mrpack/readPack";
import { ArtifactFetchError } from "./source";

/**
 * Where a pack file's download may be redirected: the hosts the format lets
 * a pack name, plus the hosts GitHub serves release assets from (every
 * `github.com/<o>/<r>/releases/download/...` URL redirects there). Anything
 * else, an internal address above all, is refused: a pack is hostile input,
 * and a redirect must not take the platform where the pack could not.
 */
const REDIRECT_HOSTS: readonly string[] = [...PACK_DOWNLOAD_HOSTS, "objects.githubusercontent.com", "release-assets.githubusercontent.com"];
/** Redirects followed for one download, as a browser's limit bounds a loop. */
export const MAX_PACK_REDIRECTS = 5;

/** A redirect to a host a pack may not download from, or too many: final, not worth retrying. */
export class RedirectRefusedError extends ArtifactFetchError {}

/** Whether `url` is a pack file's download (a host of the format's list): those follow only allowed redirects. */
export const isPackDownload = (url: string): boolean => {
  try {
    return (PACK_DOWNLOAD_HOSTS as readonly string[]).includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

/**
 * fetch with redirects followed by hand: each Location must be https on a
 * REDIRECT_HOSTS host (no credentials, no port), at most MAX_PACK_REDIRECTS
 * of them; the final answer is returned as fetch would.
 */
export async function fetchPackDownload(url: string, init: RequestInit): Promise<Response> {
  let at = url;
  for (let hops = 0; ; hops++) {
    const res = await fetch(at, { ...init, redirect: "manual" });
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    await res.body?.cancel();
    if (hops >= MAX_PACK_REDIRECTS) throw new RedirectRefusedError(url, `more than ${MAX_PACK_REDIRECTS} redirects; refused`);
    let next: URL;
    try {
      next = new URL(res.headers.get("location") ?? "", at);
    } catch {
      throw new RedirectRefusedError(url, `redirected to an invalid location; refused`);
    }
    if (next.protocol !== "https:" || !REDIRECT_HOSTS.includes(next.hostname) || next.username || next.password || next.port) {
      throw new RedirectRefusedError(url, `redirected to ${next.protocol}//${next.host}, which a pack may not download from (https from ${REDIRECT_HOSTS.join(", ")}); refused`);
    }
    at = next.href;
  }
}
