import { mirrorSource, OFFLINE_MIRROR_DIR } from "./mirror";
import type { ArtifactSource } from "./source";
import { upstreamSource } from "./upstream";

export type ArtifactSourceKind = "upstream" | "mirror" | "offline";

export const USER_AGENT = "zerolaghub-provisioner/0.1.0 (+https://zerolaghub.com; ops@zerolaghub.com)";

/** ZLH_ARTIFACT_SOURCE / ZLH_ARTIFACT_MIRROR -> a source. Shared by the control plane (resolving) and agents (placing). */
export function createArtifactSource(kind: ArtifactSourceKind, mirror: string | null): ArtifactSource {
  if (kind === "offline") return mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  if (kind === "mirror") {
    if (!mirror) throw new Error("ZLH_ARTIFACT_MIRROR is required with ZLH_ARTIFACT_SOURCE=mirror");
    return mirrorSource(mirror);
  }
  return upstreamSource({ userAgent: USER_AGENT });
}
