import { mirrorSource, OFFLINE_MIRROR_DIR, type ArtifactSource } from "@zlh/artifacts";

/** The offline mirror with its JSON answers passed through `rewrite` (a test's upstream that answers otherwise); files as they are. */
export function rewritingMirror(rewrite: (url: string, body: unknown) => unknown): ArtifactSource {
  const mirror = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  return { ...mirror, fetchJson: async <T>(url: string) => rewrite(url, await mirror.fetchJson<unknown>(url)) as T, fetchBytes: (url: string) => mirror.fetchBytes(url) } as ArtifactSource;
}
