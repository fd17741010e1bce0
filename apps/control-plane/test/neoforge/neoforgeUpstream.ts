import { ArtifactNotFoundError, sha1Hex, sha512Hex, type ArtifactSource, type DownloadedFile } from "@zlh/artifacts";
import type { MojangDownload } from "../../src/fabric/mojang";
import { mojangMappingsDownload, neoforgeMavenFiles, standinServerMappings, type StandinNeoforge } from "../../../../scripts/standinGame/neoforgeInstaller";

/** Upstream as NeoForge's Maven and Mojang serve it, by URL (a missing URL is their 404). */
export function upstream(neo: StandinNeoforge, mojangJar: Uint8Array, overrides: Record<string, Uint8Array> = {}): { source: ArtifactSource; mojang: DownloadedFile; mappings: MojangDownload } {
  const mojangUrl = `https://piston-data.mojang.com/v1/objects/${sha1Hex(mojangJar)}/server.jar`;
  const mappingsBytes = standinServerMappings(neo.game);
  const mappings = mojangMappingsDownload(mappingsBytes);
  const files = new Map<string, Uint8Array>([...neoforgeMavenFiles([neo], [neo.version]), [mojangUrl, mojangJar], [mappings.url, mappingsBytes], ...Object.entries(overrides)]);
  const fetchBytes = async (url: string) => {
    const body = files.get(url);
    if (!body) throw new ArtifactNotFoundError(url);
    return body;
  };
  return {
    source: { kind: "mirror", fetchBytes, fetchJson: async (url: string) => JSON.parse(new TextDecoder().decode(await fetchBytes(url))) },
    mojang: { path: "server.jar", url: mojangUrl, size: mojangJar.byteLength, sha512: sha512Hex(mojangJar), sha1: sha1Hex(mojangJar), kind: "server" },
    mappings,
  };
}
