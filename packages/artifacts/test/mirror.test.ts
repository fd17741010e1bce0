import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactFetchError, ArtifactNotFoundError, buildLauncherJar, mirrorPath, mirrorSource, OFFLINE_MIRROR_DIR, zipEntries } from "../src/index";

describe("mirrors", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // An HTTP mirror: the same files by path, as any static file server would serve them.
    server = createServer(async (req, res) => {
      // A broken mirror: the headers and a first chunk, then nothing, the connection held open.
      if (req.url!.startsWith("/stalled/")) return void res.writeHead(200).write("first bytes");
      const path = join(OFFLINE_MIRROR_DIR, decodeURIComponent(req.url!.slice(1)));
      const body = await readFile(path).catch(() => null);
      const refusal = body ? null : await readFile(path.replace(/\.body$/, ".400")).catch(() => null);
      res.writeHead(body ? 200 : refusal ? 400 : 404).end(body ?? refusal ?? undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
  });
  afterAll(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));

  it("fails a body that stops coming within the request's bound over HTTP, as a fetch that may pass", async () => {
    const mirror = mirrorSource(`${base}/stalled`, "mirror", { timeoutMs: 300 });
    for (const read of [() => mirror.fetchBytes("https://maven.example/a.jar"), async () => {
      for await (const chunk of await mirror.fetchStream!("https://maven.example/b.jar")) void chunk;
    }]) {
      const err = await read().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactFetchError);
      expect((err as Error).message).toMatch(/^could not fetch http:\/\/127\.0\.0\.1:\d+\/stalled\/maven\.example\/[ab]\.jar\.body: the body did not arrive within 0\.3 s$/);
    }
  });

  it("maps URLs to paths, keeping a listing apart from the directory of longer paths", () => {
    expect(mirrorPath("https://meta.fabricmc.net/v2/versions/loader/1.21.1")).toBe("meta.fabricmc.net/v2/versions/loader/1.21.1.body");
    expect(mirrorPath("https://api.modrinth.com/v2/project/x/version?loaders=%5B%22fabric%22%5D")).toBe(
      "api.modrinth.com/v2/project/x/version@loaders%3D%255B%2522fabric%2522%255D.body",
    );
  });

  it("serves the same bytes from a directory and from an HTTP base URL, and 404s as not found", async () => {
    const url = "https://meta.fabricmc.net/v2/versions/installer";
    const dir = mirrorSource(OFFLINE_MIRROR_DIR);
    const http = mirrorSource(base);
    expect(await http.fetchJson(url)).toEqual(await dir.fetchJson(url));
    expect(Buffer.from(await http.fetchBytes(url))).toEqual(Buffer.from(await dir.fetchBytes(url)));
    await expect(http.fetchBytes("https://meta.fabricmc.net/v2/nothing")).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(dir.fetchBytes("https://meta.fabricmc.net/v2/nothing")).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it("finds files whose names hold percent-escapes (an encoded query, Temurin's %2B) over HTTP, as a static server decodes the request", async () => {
    const urls = [
      "https://api.adoptium.net/v3/assets/feature_releases/21/ga?architecture=x64&heap_size=normal&image_type=jre&jvm_impl=hotspot&os=linux&page_size=10&project=jdk&sort_order=DESC&vendor=eclipse",
      "https://github.com/adoptium/temurin21-binaries/releases/download/jdk-21.0.7%2B6/OpenJDK21U-jre_x64_linux_hotspot_21.0.7_6.tar.gz",
    ];
    for (const url of urls) expect(Buffer.from(await mirrorSource(base).fetchBytes(url))).toEqual(Buffer.from(await mirrorSource(OFFLINE_MIRROR_DIR).fetchBytes(url)));
  });

  it("answers what upstream refuses with its 400 and body, from a directory and over HTTP", async () => {
    const url = "https://meta.fabricmc.net/v2/versions/loader/1.21.99";
    for (const source of [mirrorSource(OFFLINE_MIRROR_DIR), mirrorSource(base)]) {
      const err = await source.fetchJson(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ArtifactNotFoundError);
      expect(err).toMatchObject({ status: 400, body: "[]" });
    }
  });

  it("holds meta's launcher jar as meta makes it, with the same entries as the launcher the agents build", async () => {
    const dir = mirrorSource(OFFLINE_MIRROR_DIR);
    const metaJar = await dir.fetchBytes("https://meta.fabricmc.net/v2/versions/loader/1.21.1/0.19.3/1.0.1/server/jar");
    const installer = await dir.fetchBytes("https://maven.fabricmc.net/net/fabricmc/fabric-installer/1.0.1/fabric-installer-1.0.1-server.jar");
    const ours = buildLauncherJar(installer, "0.19.3", "1.21.1");
    const entries = (b: Uint8Array) => zipEntries(b).map((e) => [e.name, Buffer.from(e.data).toString("base64")]);
    expect(entries(ours)).toEqual(entries(metaJar));
    expect(Buffer.from(ours)).not.toEqual(Buffer.from(metaJar)); // other bytes (compression, timestamps): why meta's are not pinned
    const old = await dir.fetchBytes("https://meta.fabricmc.net/v2/versions/loader/1.21.1/0.11.7/1.0.1/server/jar").catch((e: unknown) => e);
    expect(old).toMatchObject({ status: 400 });
  });
});
