import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { sha1Hex, upstreamSource, USER_AGENT } from "@zlh/artifacts";
import { readModpackContents } from "@zlh/db";
import { buildMrpack, packSha512 } from "@zlh/testing";
import { inspectModpack } from "../src/modpacks/inspectModpack";
import { stubbedUpstreams } from "./stubbedUpstreams";

const CDN = "https://cdn.modrinth.com/data/SlowPack/versions";

/** A Modrinth version whose primary file is `pack`, at `url`. */
const versionOf = (id: string, url: string, pack: Uint8Array) => ({
  id,
  project_id: "SlowPack",
  version_number: "1.0.0",
  version_type: "release",
  date_published: "2024-01-01T00:00:00Z",
  files: [{ hashes: { sha1: sha1Hex(pack), sha512: packSha512(pack) }, url, filename: "p.mrpack", primary: true, size: pack.byteLength }],
});

/** `bytes` in `parts` chunks, each sent `gapMs` after the one before: a CDN answering at once, its body slowly. */
function slowly(bytes: Uint8Array, parts: number, gapMs: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.byteLength / parts);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, gapMs));
      if (at >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** A body that sends a byte now and then, for ever. */
function trickle(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, 20));
      controller.enqueue(new Uint8Array(1));
    },
  });
}

describe("a Modrinth pack's download has the pack path's own bound, not the upstream source's shorter one", () => {
  const { server, db } = stubbedUpstreams();

  it("reads a pack whose body takes longer than the source's per-request bound, within the pack's", async () => {
    const pack = buildMrpack({ name: "Slow", overrides: { "config/slow.toml": "x = 1\n".repeat(2000) } });
    const url = `${CDN}/SLOW0001/p.mrpack`;
    server.use(
      http.get("https://api.modrinth.com/v2/version/SLOW0001", () => HttpResponse.json(versionOf("SLOW0001", url, pack))),
      // Eight chunks 40 ms apart: the body takes at least 320 ms, more than the source's 100 ms.
      http.get(url, () => new HttpResponse(slowly(pack, 8, 40))),
    );
    const source = upstreamSource({ userAgent: USER_AGENT, maxRetries: 0, sleep: async () => {}, timeoutMs: 100 });
    const got = await inspectModpack({ db: db(), source, maxBytes: 1024 * 1024, customerId: "c", downloadTimeoutMs: 30_000 }, { version: "SLOW0001" });
    expect(got.pin).toMatchObject({ source: "modrinth", name: "Slow", size: pack.byteLength, sha512: packSha512(pack) });
    expect(await readModpackContents(db(), packSha512(pack))).toMatchObject({ name: "Slow" });
  });

  it("still ends a body that trickles past the pack's bound: 503, retryable, nothing recorded", async () => {
    const pack = buildMrpack({ name: "Endless" });
    const url = `${CDN}/ENDL0001/p.mrpack`;
    server.use(
      http.get("https://api.modrinth.com/v2/version/ENDL0001", () => HttpResponse.json(versionOf("ENDL0001", url, pack))),
      http.get(url, () => new HttpResponse(trickle())),
    );
    const source = upstreamSource({ userAgent: USER_AGENT, maxRetries: 0, sleep: async () => {} });
    const err = await inspectModpack({ db: db(), source, maxBytes: 1024 * 1024, customerId: "c", downloadTimeoutMs: 300 }, { version: "ENDL0001" }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: "unavailable", message: expect.stringMatching(/within (0\.3|1) s/) });
    expect(await readModpackContents(db(), packSha512(pack))).toBeNull();
  });
});
