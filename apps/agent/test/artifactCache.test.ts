import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, statfs, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { mirrorPath, mirrorSource } from "@zlh/artifacts";
import { ArtifactCache } from "../src/placement/cache";

const sha512 = (b: Uint8Array) => createHash("sha512").update(b).digest("hex");
const MiB = 1024 * 1024;

/** An HTTP mirror on loopback that answers every request with bytes until the client hangs up, counting what it sent. */
async function endlessMirror(): Promise<{ base: string; sent: () => number; closed: Promise<void>; server: Server }> {
  let sent = 0;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const chunk = Buffer.alloc(64 * 1024, 7);
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) sent += chunk.length;
    };
    res.on("drain", pump);
    res.on("close", () => closedResolve());
    pump();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent, closed, server };
}

/** A directory mirror holding `files` (url -> bytes). */
async function dirMirror(files: Record<string, Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "zlh-mirror-"));
  for (const [url, bytes] of Object.entries(files)) {
    const path = join(dir, mirrorPath(url));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
  return dir;
}

/**
 * A disk of `capacity` bytes holding only `root`: its free bytes are the capacity less what is under root now
 * (temporary downloads included), so a reserve test does not depend on what others write to the machine's disk.
 */
function diskOf(root: string, capacity: number): () => Promise<number> {
  const used = async (dir: string): Promise<number> => {
    let bytes = 0;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) bytes += await used(p);
      else if (e.isFile()) bytes += (await stat(p)).size;
    }
    return bytes;
  };
  return async () => capacity - (await used(root));
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

describe("the agent's artifact cache", () => {
  it("stops a download as soon as it is longer than pinned, and keeps nothing of it", async () => {
    const m = await endlessMirror();
    servers.push(m.server);
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const cache = new ArtifactCache(state, mirrorSource(m.base));
    const file = { url: "https://cdn.modrinth.com/data/x/endless.jar", size: 1 * MiB, sha512: "a".repeat(128) };
    const started = Date.now();
    await expect(cache.ensure(file)).rejects.toMatchObject({ code: "artifact_mismatch", message: expect.stringContaining(`more than the pinned ${MiB} bytes`) });
    await m.closed; // the connection was hung up, not read to the end
    expect(Date.now() - started).toBeLessThan(20_000);
    // What the server managed to write before the hang-up is socket buffers, not the file: far below what "read it all" would be.
    expect(m.sent()).toBeLessThan(64 * MiB);
    await expect(stat(cache.pathOf(file.sha512))).rejects.toThrow();
    expect(await readdir(join(state, "cache", "tmp"))).toEqual([]);
  });

  it("streams a good file into place checked by size and every pinned hash, and refuses a wrong sha1 without caching it", async () => {
    const bytes = new Uint8Array(3 * MiB).map((_, i) => i % 251);
    const url = "https://cdn.modrinth.com/data/x/good.jar";
    const source = mirrorSource(await dirMirror({ [url]: bytes }));
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const cache = new ArtifactCache(state, source);
    const sha1 = createHash("sha1").update(bytes).digest("hex");
    await expect(cache.ensure({ url, size: bytes.length, sha512: sha512(bytes), sha1: "0".repeat(40) })).rejects.toMatchObject({ message: expect.stringContaining("sha1 differs") });
    await expect(stat(cache.pathOf(sha512(bytes)))).rejects.toThrow();
    const path = await cache.ensure({ url, size: bytes.length, sha512: sha512(bytes), sha1 });
    expect(sha512(await readFile(path))).toBe(sha512(bytes));
    await expect(cache.ensure({ url, size: bytes.length - 1, sha512: "b".repeat(128) })).rejects.toMatchObject({ message: expect.stringContaining(`more than the pinned ${bytes.length - 1} bytes`) });
  });

  it("downloads a file once when placements ask for it at the same time", async () => {
    const bytes = new Uint8Array(2 * MiB).fill(3);
    const url = "https://cdn.modrinth.com/data/x/shared.jar";
    const inner = mirrorSource(await dirMirror({ [url]: bytes }));
    let fetches = 0;
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), { ...inner, fetchStream: (u) => (fetches++, inner.fetchStream!(u)) });
    const file = { url, size: bytes.length, sha512: sha512(bytes) };
    const paths = await Promise.all(Array.from({ length: 8 }, () => cache.ensure(file)));
    expect(new Set(paths).size).toBe(1);
    expect(fetches).toBe(1);
  });

  it("tries a file's alternate URLs in order, and names every URL's reason when none gives the pinned bytes", async () => {
    const good = new Uint8Array(1000).fill(9);
    const [missing, wrong, right] = ["missing", "wrong", "right"].map((n) => `https://cdn.modrinth.com/data/x/${n}.jar`) as [string, string, string];
    const inner = mirrorSource(await dirMirror({ [wrong]: new Uint8Array(1000).fill(1), [right]: good }));
    const tried: string[] = [];
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), { ...inner, fetchStream: (u) => (tried.push(u), inner.fetchStream!(u)) });
    const path = await cache.ensure({ url: missing, alternates: [wrong, right], size: good.length, sha512: sha512(good) });
    expect(tried).toEqual([missing, wrong, right]);
    expect(sha512(await readFile(path))).toBe(sha512(good));

    const err = (await cache.ensure({ url: missing, alternates: [wrong], size: 1000, sha512: "c".repeat(128) }).catch((e: Error) => e)) as Error;
    expect(err.message).toContain(`${missing}: not found`);
    expect(err.message).toContain(`${wrong}: sha512 differs`);
    expect(err.name).toBe("ArtifactFetchError"); // one URL could not be fetched at all: worth retrying later
    const mismatch = await cache.ensure({ url: wrong, alternates: [right], size: 1000, sha512: "d".repeat(128) }).catch((e: Error & { code?: string }) => e);
    expect(mismatch).toMatchObject({ code: "artifact_mismatch", message: expect.stringMatching(/no download of .*wrong.jar matched: .*wrong.jar: sha512 differs.*right.jar: sha512 differs/) });
  });

  it("evicts the least recently used files past its byte budget, never one an operation holds, and counts what a restart finds", async () => {
    const files = Object.fromEntries(["a", "b", "c", "d"].map((n, i) => [`https://cdn.modrinth.com/data/x/${n}.jar`, new Uint8Array(MiB).fill(i + 1)]));
    const source = mirrorSource(await dirMirror(files));
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const pin = (n: string) => {
      const url = `https://cdn.modrinth.com/data/x/${n}.jar`;
      return { url, size: MiB, sha512: sha512(files[url]!) };
    };
    const budget = Math.floor(2.5 * MiB);
    const cache = new ArtifactCache(state, source, () => {}, { maxBytes: budget });
    const ago = (ms: number) => new Date(Date.now() - ms);
    const a = await cache.ensure(pin("a"));
    const b = await cache.ensure(pin("b"));
    // a used two hours ago, b one hour ago: a is the least recently used.
    await utimes(a, ago(2 * 3600_000), ago(2 * 3600_000));
    await utimes(b, ago(3600_000), ago(3600_000));
    const c = await cache.ensure(pin("c")); // 3 MiB > 2.5 MiB: one must go
    await expect(stat(a)).rejects.toThrow();
    expect((await stat(b)).isFile()).toBe(true);
    expect((await stat(c)).isFile()).toBe(true);

    // Using b again (a cache hit) makes c, untouched for longer, the one to go; b is in use now anyway.
    await utimes(c, ago(3 * 3600_000), ago(3 * 3600_000));
    await utimes(b, ago(4 * 3600_000), ago(4 * 3600_000));
    const fresh = new ArtifactCache(state, source, () => {}, { maxBytes: budget }); // a restarted agent measures the cache it finds
    expect(await fresh.ensure(pin("b"))).toBe(b);
    expect(Date.now() - (await stat(b)).atimeMs).toBeLessThan(60_000);
    await fresh.ensure(pin("d"));
    await expect(stat(c)).rejects.toThrow();
    expect((await stat(b)).isFile()).toBe(true);

    // An operation holds b and d, then runs for hours (their last use long ago): over the budget again, neither is removed.
    const op = fresh.hold();
    await op.ensure(pin("b"));
    await op.ensure(pin("d"));
    for (const n of ["b", "d"]) await utimes(fresh.pathOf(pin(n).sha512), ago(5 * 3600_000), ago(5 * 3600_000));
    const other = fresh.hold();
    await other.ensure(pin("a"));
    for (const n of ["a", "b", "d"]) expect((await stat(fresh.pathOf(pin(n).sha512))).isFile()).toBe(true);
    // Released (twice: the second is nothing), the least recently used unheld one goes at the next store; a, still held, stays.
    op.release();
    op.release();
    other.release();
    await utimes(fresh.pathOf(pin("a").sha512), ago(60_000), ago(60_000));
    await fresh.hold().ensure(pin("c"));
    await expect(stat(fresh.pathOf(pin("b").sha512))).rejects.toThrow();
    await expect(stat(fresh.pathOf(pin("d").sha512))).rejects.toThrow();
    for (const n of ["a", "c"]) expect((await stat(fresh.pathOf(pin(n).sha512))).isFile()).toBe(true);
  });

  it("an entry two operations hold stays until both released it", async () => {
    const files = Object.fromEntries(["a", "b"].map((n, i) => [`https://cdn.modrinth.com/data/x/${n}.jar`, new Uint8Array(MiB).fill(i + 1)]));
    const source = mirrorSource(await dirMirror(files));
    const pin = (n: string) => {
      const url = `https://cdn.modrinth.com/data/x/${n}.jar`;
      return { url, size: MiB, sha512: sha512(files[url]!) };
    };
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), source, () => {}, { maxBytes: MiB });
    const [first, second] = [cache.hold(), cache.hold()];
    const a = await first.ensure(pin("a"));
    await second.ensure(pin("a"));
    first.release();
    await cache.ensure(pin("b")); // over the budget: a is still held by the second
    expect((await stat(a)).isFile()).toBe(true);
    second.release();
    await rm(cache.pathOf(pin("b").sha512));
    await cache.ensure(pin("b"));
    await expect(stat(a)).rejects.toThrow();
  });

  it("releases an operation's hold when it ends, also when it fails", async () => {
    const files = Object.fromEntries(["a", "b", "c"].map((n, i) => [`https://cdn.modrinth.com/data/x/${n}.jar`, new Uint8Array(MiB).fill(i + 1)]));
    const source = mirrorSource(await dirMirror(files));
    const pin = (n: string) => {
      const url = `https://cdn.modrinth.com/data/x/${n}.jar`;
      return { url, size: MiB, sha512: sha512(files[url]!) };
    };
    const cache = new ArtifactCache(await mkdtemp(join(tmpdir(), "zlh-state-")), source, () => {}, { maxBytes: MiB });
    const a = cache.pathOf(pin("a").sha512);
    const failed = cache.holding(async (files) => {
      await files.ensure(pin("a"));
      await utimes(a, new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000));
      await cache.ensure(pin("b")); // over the budget while the operation runs: a is held
      expect((await stat(a)).isFile()).toBe(true);
      throw new Error("the operation failed");
    });
    await expect(failed).rejects.toThrow("the operation failed");
    await cache.ensure(pin("c")); // a, released, is the least recently used
    await expect(stat(a)).rejects.toThrow();
  });

  it("counts a download under way against the reserve, so two at once cannot both take the same room", async () => {
    const files = Object.fromEntries(["a", "b"].map((n, i) => [`https://cdn.modrinth.com/data/x/${n}.jar`, new Uint8Array(32 * MiB).fill(i + 1)]));
    const inner = mirrorSource(await dirMirror(files));
    const pin = (n: string) => {
      const url = `https://cdn.modrinth.com/data/x/${n}.jar`;
      return { url, size: 32 * MiB, sha512: sha512(files[url]!) };
    };
    let aWaiting!: () => void;
    const aStarted = new Promise<void>((r) => (aWaiting = r));
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    // a's download waits (nothing of it on disk yet) until b has been decided: refused, or started too.
    const source = {
      ...inner,
      fetchStream: async (u: string) => {
        if (u === pin("b").url) go();
        else {
          aWaiting();
          await gate;
        }
        return inner.fetchStream!(u);
      },
    };
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    // A disk with room for one of them, not for both.
    const cache = new ArtifactCache(state, source, () => {}, { minFreeBytes: 8 * MiB, freeBytes: diskOf(state, 56 * MiB) });
    const first = cache.ensure(pin("a"));
    await aStarted;
    const second = await cache.ensure(pin("b")).catch((e: unknown) => e);
    go();
    expect(second).toMatchObject({ code: "cache_disk_full", retryable: true });
    expect((await stat(await first)).size).toBe(32 * MiB);
  });

  it("refuses a download that would leave its disk under the reserve, retryably, before fetching a byte", async () => {
    const bytes = new Uint8Array(1000).fill(5);
    const url = "https://cdn.modrinth.com/data/x/small.jar";
    const inner = mirrorSource(await dirMirror({ [url]: bytes }));
    let fetches = 0;
    const source = { ...inner, fetchStream: (u: string) => (fetches++, inner.fetchStream!(u)) };
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const fs = await statfs(state);
    const free = fs.bavail * fs.bsize;
    // A pinned GiB with a reserve of all but half a GiB of what is free now: far past what others' writes on the machine move.
    const reserve = Math.max(0, free - 512 * MiB);
    const tight = new ArtifactCache(state, source, () => {}, { minFreeBytes: reserve });
    const err = await tight.ensure({ url, size: 1024 * MiB, sha512: "e".repeat(128) }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "cache_disk_full",
      retryable: true,
      message: expect.stringMatching(new RegExp(`^${url.replace(/[.]/g, "\\.")}: ${1024 * MiB} bytes would leave the filesystem of ${join(state, "cache", "tmp")} \\d+ bytes short of the ${reserve} the artifact cache keeps free \\(ZLH_AGENT_CACHE_MIN_FREE_BYTES\\), with every cached file no running operation holds already removed; free space on that filesystem or lower ZLH_AGENT_CACHE_MIN_FREE_BYTES \\(the operation is retried\\)$`)),
    });
    expect(fetches).toBe(0);
    expect(await readdir(join(state, "cache", "tmp"))).toEqual([]);
    // Room enough: the same cache stores a small file.
    const roomy = new ArtifactCache(state, source, () => {}, { minFreeBytes: 0 });
    expect(sha512(await readFile(await roomy.ensure({ url, size: bytes.length, sha512: sha512(bytes) })))).toBe(sha512(bytes));
  });

  it("makes room for a download by removing unheld files, never held ones", async () => {
    const files = Object.fromEntries(["a", "b", "c"].map((n, i) => [`https://cdn.modrinth.com/data/x/${n}.jar`, new Uint8Array(32 * MiB).fill(i + 1)]));
    const source = mirrorSource(await dirMirror(files));
    const pin = (n: string) => {
      const url = `https://cdn.modrinth.com/data/x/${n}.jar`;
      return { url, size: 32 * MiB, sha512: sha512(files[url]!) };
    };
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const loose = new ArtifactCache(state, source);
    const held = loose.hold();
    const a = await held.ensure(pin("a"));
    const b = await loose.ensure(pin("b"));
    await utimes(a, new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000));
    // A disk that holds c beside the reserve only once one of a and b is gone.
    const shared = new ArtifactCache(state, source, () => {}, { minFreeBytes: 16 * MiB, freeBytes: diskOf(state, 96 * MiB) });
    const op = shared.hold();
    await op.ensure(pin("a"));
    await op.ensure(pin("c"));
    await expect(stat(b)).rejects.toThrow();
    expect((await stat(a)).isFile()).toBe(true);
    held.release();
  });

  it("abandons a download whose body trickles at its deadline, closing the connection", async () => {
    let closed!: () => void;
    const hungUp = new Promise<void>((r) => (closed = r));
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const tick = setInterval(() => res.write("x"), 50);
      res.on("close", () => (clearInterval(tick), closed()));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const cache = new ArtifactCache(state, mirrorSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), () => {}, { downloadTimeoutMs: 1500 });
    const err = await cache.ensure({ url: "https://cdn.modrinth.com/data/x/slow.mrpack", size: MiB, sha512: "f".repeat(128) }).catch((e: Error) => e);
    expect(err).toMatchObject({ name: "ArtifactFetchError", message: expect.stringContaining("did not finish within 2 s") });
    await hungUp;
    expect(await readdir(join(state, "cache", "tmp"))).toEqual([]);
  });

  it("gives a download its own bound, not the source's shorter per-request one", async () => {
    const bytes = new Uint8Array(8 * 1024).map((_, i) => i % 251);
    // Eight parts 40 ms apart: the body takes at least 320 ms, more than the mirror's 100 ms bound for one request.
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) });
      let part = 0;
      const tick = setInterval(() => {
        res.write(bytes.subarray(part * 1024, (part + 1) * 1024));
        if (++part === 8) (clearInterval(tick), res.end());
      }, 40);
      res.on("close", () => clearInterval(tick));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    const state = await mkdtemp(join(tmpdir(), "zlh-state-"));
    const source = mirrorSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, "mirror", { timeoutMs: 100 });
    const cache = new ArtifactCache(state, source, () => {}, { downloadTimeoutMs: 30_000 });
    const path = await cache.ensure({ url: "https://cdn.modrinth.com/data/x/big.mrpack", size: bytes.byteLength, sha512: sha512(bytes) });
    expect(Buffer.compare(await readFile(path), Buffer.from(bytes))).toBe(0);
  });
});
