/**
 * The longest URL an upstream's answer may name for the control plane to
 * fetch: real ones (a Maven base, fill-data's object URL) are under 200
 * characters; a longer one is hostile or broken, and would otherwise be
 * repeated unbounded into pins, manifests and messages.
 */
export const UPSTREAM_URL_MAX_LENGTH = 512;

/**
 * `raw`, an address an upstream's answer names, as the URL to fetch (its
 * normalised `href`, never the raw string) when it is https, without
 * credentials, on one of `hosts` at the default port (URL's `host` carries
 * any other port, so it cannot match), at most UPSTREAM_URL_MAX_LENGTH long
 * and without whitespace or control characters (URL's parser silently drops
 * a newline or tab, so what was checked would not be what was sent);
 * otherwise null. The one check for every upstream whose answer decides what
 * the control plane, and every agent after it, fetches: never an address a
 * tampered answer names (the hypervisor's API, a cloud metadata service).
 */
export function upstreamUrlOn(raw: string, hosts: readonly string[]): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: a URL with one is refused.
  if (raw.length > UPSTREAM_URL_MAX_LENGTH || /[\s\x00-\x1f\x7f]/.test(raw)) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" || u.username !== "" || u.password !== "" || !hosts.includes(u.host)) return null;
  return u.href;
}
