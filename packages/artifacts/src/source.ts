/** Where artifacts and their metadata come from. Every fetch names the upstream URL. */
export interface ArtifactSource {
  readonly kind: "upstream" | "mirror" | "offline";
  fetchJson<T = unknown>(url: string): Promise<T>;
  fetchBytes(url: string): Promise<Uint8Array>;
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
