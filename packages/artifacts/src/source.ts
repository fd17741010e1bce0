/** Where artifacts and their metadata come from. Every fetch names the upstream URL. */
export interface ArtifactSource {
  readonly kind: "upstream" | "mirror" | "offline";
  fetchJson<T = unknown>(url: string): Promise<T>;
  fetchBytes(url: string): Promise<Uint8Array>;
}

/** Upstream said no such thing (404): not worth retrying, and a clear message for the server's failure reason. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly url: string) {
    super(`not found: ${url}`);
    this.name = "ArtifactNotFoundError";
  }
}
