import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JSON_MAX_BYTES, upstreamSource, USER_AGENT } from "@zlh/artifacts";

const server = setupServer();
const URL_ = "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB/p.mrpack";

describe("a download's own bound on the upstream source", () => {
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());

  it("is the bound of all its attempts together: once it has passed, a failed attempt is not retried", async () => {
    let attempts = 0;
    // Each answer comes after the bound: the first attempt is aborted at it, and its time is then spent.
    server.use(http.get(URL_, async () => (attempts++, await delay(300), new HttpResponse(null, { status: 503 }))));
    const source = upstreamSource({ userAgent: USER_AGENT, maxRetries: 5, sleep: async () => {} });
    await expect(source.fetchBytes(URL_, { timeoutMs: 100 })).rejects.toThrow(/no answer within 0.1 s/);
    expect(attempts).toBe(1);
  });

  it("leaves a fetch without one the source's retries, each with the source's bound", async () => {
    let attempts = 0;
    server.use(http.get(URL_, () => (attempts++, new HttpResponse(null, { status: 503 }))));
    const source = upstreamSource({ userAgent: USER_AGENT, maxRetries: 2, sleep: async () => {} });
    await expect(source.fetchBytes(URL_)).rejects.toThrow(/answered 503/);
    expect(attempts).toBe(3);
  });

  it("refuses JSON past JSON_MAX_BYTES, with a clear error, and reads an answer of exactly that size", async () => {
    const LISTING = "https://api.modrinth.com/v2/project/x/version";
    const json = (bytes: number) => `[${" ".repeat(bytes - 2)}]`;
    let size = JSON_MAX_BYTES + 1;
    server.use(http.get(LISTING, () => new HttpResponse(json(size), { headers: { "content-type": "application/json" } })));
    const source = upstreamSource({ userAgent: USER_AGENT, maxRetries: 0, sleep: async () => {} });
    await expect(source.fetchJson(LISTING)).rejects.toThrow(`could not fetch ${LISTING}: answered more than ${JSON_MAX_BYTES} bytes of JSON, more than any upstream's metadata is; the download was stopped there`);
    size = JSON_MAX_BYTES;
    expect(await source.fetchJson(LISTING)).toEqual([]);
  });
});
