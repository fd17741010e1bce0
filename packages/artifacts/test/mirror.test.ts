import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactNotFoundError, mirrorPath, mirrorSource, OFFLINE_MIRROR_DIR } from "../src/index";

describe("mirrors", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // An HTTP mirror: the same files by path, as any static file server would serve them.
    server = createServer(async (req, res) => {
      const body = await readFile(join(OFFLINE_MIRROR_DIR, decodeURIComponent(req.url!.slice(1)))).catch(() => null);
      res.writeHead(body ? 200 : 404).end(body ?? undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

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
});
