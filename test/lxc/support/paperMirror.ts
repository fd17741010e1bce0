import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { mirrorPath, mirrorSource, OFFLINE_MIRROR_DIR } from "@zlh/artifacts";
import { standinPaperclipJar, type StandinPaperclip } from "../../../scripts/standinGame/standinPaperclip";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Mojang's server jar for `game` as the offline mirror serves it (a bundler): what a manifest places at Paperclip's cache. */
export async function mojangServerJar(game: string): Promise<{ url: string; bytes: Uint8Array }> {
  const source = mirrorSource(OFFLINE_MIRROR_DIR, "offline");
  const manifest = await source.fetchJson<{ versions: { id: string; url: string }[] }>("https://piston-meta.mojang.com/mc/game/version_manifest_v2.json");
  const entry = manifest.versions.find((v) => v.id === game);
  if (!entry) throw new Error(`the offline mirror has no Minecraft ${game}`);
  const version = await source.fetchJson<{ downloads: { server: { url: string } } }>(entry.url);
  return { url: version.downloads.server.url, bytes: await source.fetchBytes(version.downloads.server.url) };
}

/**
 * A copy of the offline mirror (for ZLH_ARTIFACT_SOURCE=mirror) in which
 * PaperMC's v3 API lists one STABLE build of `game`, `build`, whose
 * `downloads["server:default"]` is the stand-in Paperclip built from the
 * mirror's Mojang jar, on fill-data.papermc.io and pinned by its sha256 as
 * PaperMC publishes it. The caller removes `dir`.
 */
export async function paperMirror(game: string, build: number): Promise<{ dir: string; paperclip: StandinPaperclip }> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-paper-mirror-"));
  await cp(OFFLINE_MIRROR_DIR, dir, { recursive: true });
  const paperclip = standinPaperclipJar(await mojangServerJar(game), game, build);
  const name = `paper-${game}-${build}.jar`;
  const put = async (url: string, body: Uint8Array | string) => {
    const path = join(dir, mirrorPath(url));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  };
  const sha = sha256(paperclip.jar);
  const url = `https://fill-data.papermc.io/v1/objects/${sha}/${name}`;
  await put(url, paperclip.jar);
  const listing = [
    {
      id: build,
      time: "2024-11-20T10:00:00.000Z",
      channel: "STABLE",
      commits: [],
      downloads: { "server:default": { name, checksums: { sha256: sha }, size: paperclip.jar.byteLength, url } },
    },
  ];
  await put(`https://fill.papermc.io/v3/projects/paper/versions/${game}/builds`, JSON.stringify(listing, null, 2));
  return { dir, paperclip };
}
