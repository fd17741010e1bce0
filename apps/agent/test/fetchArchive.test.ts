import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fetchArchive } from "../src/ops/fetchArchive";
import { OpFailure } from "../src/ops/opFailure";
import { simHost } from "./support/opHarness";

const ARCHIVE = randomBytes(200_000);
const want = { backupId: "5f0c7c3e-1d2a-4b6e-9a4f-0e1d2c3b4a59", sha256: createHash("sha256").update(ARCHIVE).digest("hex"), sizeBytes: ARCHIVE.length };

/** The control plane's relay as the agent sees it (gateway/restoreArchive.ts): the host token, `?offset=`, the bytes from there; `serve` decides per request. */
async function relay(serve: (offset: number, res: ServerResponse, req: IncomingMessage) => void) {
  const asked: { offset: number; auth: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const offset = Number(new URL(req.url!, "http://x").searchParams.get("offset"));
    asked.push({ offset, auth: req.headers.authorization });
    serve(offset, res, req);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function context(url: string) {
  const host = await simHost();
  const ctx = { ...host.ctx("restore", 101), control: { url, token: "host-token" } };
  return { ctx, part: join(host.backupDir, ".fetched", `${want.backupId}.tar.gz.part`) };
}
const failure = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => (err instanceof OpFailure ? { code: err.code, retryable: err.retryable, message: err.message } : err));

describe("fetching an archive kept on another host", () => {
  it("keeps what a broken-off relay sent, and the next attempt resumes from there", async () => {
    let cut = true;
    const r = await relay((offset, res) => {
      res.writeHead(200, { "content-length": String(ARCHIVE.length - offset) });
      if (cut) {
        cut = false;
        res.write(ARCHIVE.subarray(offset, 80_000), () => res.destroy());
      } else res.end(ARCHIVE.subarray(offset));
    });
    const { ctx, part } = await context(r.url);
    expect(await failure(fetchArchive(ctx, want))).toMatchObject({ code: "backup_unreachable", retryable: true });
    const kept = (await stat(part)).size;
    expect(kept).toBeGreaterThan(0);
    const path = await fetchArchive(ctx, want);
    expect(r.asked).toEqual([{ offset: 0, auth: "Bearer host-token" }, { offset: kept, auth: "Bearer host-token" }]);
    expect((await readFile(path)).equals(ARCHIVE)).toBe(true);
    await expect(stat(part)).rejects.toThrow(/ENOENT/);
  });

  it("refuses bytes past the recorded size, and bytes that are not the backup, removing what was written", async () => {
    const long = await relay((_offset, res) => res.end(Buffer.concat([ARCHIVE, Buffer.from("more")])));
    const a = await context(long.url);
    expect(await failure(fetchArchive(a.ctx, want))).toMatchObject({ code: "backup_corrupt", retryable: false });
    expect((await stat(a.part)).size).toBe(0);

    const changed = Buffer.from(ARCHIVE);
    changed[1000] ^= 0xff;
    const wrong = await relay((offset, res) => res.end(changed.subarray(offset)));
    const b = await context(wrong.url);
    expect(await failure(fetchArchive(b.ctx, want))).toMatchObject({ code: "backup_corrupt", retryable: false, message: expect.stringMatching(/sha256/) });
    await expect(stat(b.part)).rejects.toThrow(/ENOENT/);
  });

  it("says why the relay refused, retryable only when another attempt may help", async () => {
    const down = await relay((_o, res) => res.writeHead(504, { "content-type": "application/json" }).end(JSON.stringify({ error: "command_timeout", message: "The host did not answer within 3000 ms." })));
    expect(await failure(fetchArchive((await context(down.url)).ctx, want))).toMatchObject({ code: "backup_unreachable", retryable: true, message: expect.stringMatching(/504.*did not answer/) });
    const gone = await relay((_o, res) => res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "backup_not_found", message: "No backup." })));
    expect(await failure(fetchArchive((await context(gone.url)).ctx, want))).toMatchObject({ code: "backup_unreachable", retryable: false });
  });

  it("refuses a link planted at the partial archive's name, writing nothing through it", async () => {
    const r = await relay((offset, res) => res.end(ARCHIVE.subarray(offset)));
    const { ctx, part } = await context(r.url);
    await mkdir(join(part, ".."), { recursive: true });
    const victim = join(part, "../victim");
    await writeFile(victim, "keep");
    await symlink(victim, part);
    expect(await failure(fetchArchive(ctx, want))).toMatchObject({ code: "not_regular_file", retryable: false });
    expect(await readFile(victim, "utf8")).toBe("keep");
    expect(r.asked).toEqual([]);
  });
});
