import { mirrorSource, OFFLINE_MIRROR_DIR, sha1Hex, sha512Hex, type Manifest, type ManifestFile } from "@zlh/artifacts";

/** A test key for ZLH_SECRETS_KEY (32 zero-padded bytes, base64). */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString("base64");

const GAME = "1.21.1";
const offline = mirrorSource(OFFLINE_MIRROR_DIR, "offline");

async function file(path: string, url: string, kind: ManifestFile["kind"]): Promise<ManifestFile> {
  const bytes = await offline.fetchBytes(url);
  return { path, url, kind, size: bytes.byteLength, sha512: sha512Hex(bytes), sha1: sha1Hex(bytes) };
}

/**
 * A small manifest over the offline mirror's files (launcher, vanilla server,
 * chosen mods), for agent tests that place files without a control plane.
 */
export async function fixtureManifest(mods: { slug: string; projectId: string; versionId: string; version: string }[] = []): Promise<Manifest> {
  const mojang = await offline.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const version = await offline.fetchJson<{ downloads: { server: { url: string } } }>(mojang.versions.find((v) => v.id === GAME)!.url);
  const files = [
    await file("fabric-server-launch.jar", `https://meta.fabricmc.net/v2/versions/loader/${GAME}/0.16.5/1.0.1/server/jar`, "launcher"),
    await file(`.fabric/server/${GAME}-server.jar`, version.downloads.server.url, "server"),
    ...(await Promise.all(
      mods.map((m) =>
        file(`mods/${m.slug}-${m.version}.jar`, `https://cdn.modrinth.com/data/${m.projectId}/versions/${m.versionId}/${encodeURIComponent(`${m.slug}-${m.version}.jar`)}`, "mod"),
      ),
    )),
  ].sort((a, b) => a.path.localeCompare(b.path));
  return {
    schema: 1,
    game: GAME,
    loader: "0.16.5",
    installer: "1.0.1",
    mods: mods.map((m) => ({ projectId: m.projectId, versionId: m.versionId, versionNumber: m.version, reason: "requested" as const })),
    files,
  };
}

export const FIXTURE_MODS = {
  fabricApi: { slug: "fabric-api", projectId: "P7dR8mSH", versionId: "VwBUsRBM", version: "0.102.1+1.21.1" },
  lithium: { slug: "lithium", projectId: "gvQqBUqZ", versionId: "5szYtenV", version: "mc1.21.1-0.13.0" },
};
