import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { upstreamSource, USER_AGENT } from "@zlh/artifacts";

const CDN = "https://cdn.modrinth.com/data/AAAAAAAA/versions/BBBBBBBB";
const redirect = (to: string, status = 302) => new HttpResponse(null, { status, headers: { location: to } });
const server = setupServer();
const hits: string[] = [];

/** A pack file's download as the upstream source makes it (no retry waits: a refusal must not be retried anyway). */
const source = () => upstreamSource({ userAgent: USER_AGENT, maxRetries: 2, sleep: async () => {} });

describe("redirects of a pack file's download", () => {
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    server.resetHandlers();
    hits.length = 0;
  });
  afterAll(() => server.close());

  it("follows a redirect to a host a pack may use, as GitHub's release downloads do", async () => {
    server.use(
      http.get("https://github.com/o/r/releases/download/v1/mod.jar", () => redirect("https://objects.githubusercontent.com/asset/123?sig=x")),
      http.get("https://objects.githubusercontent.com/asset/123", () => HttpResponse.arrayBuffer(new TextEncoder().encode("jar bytes").buffer)),
    );
    expect(new TextDecoder().decode(await source().fetchBytes("https://github.com/o/r/releases/download/v1/mod.jar"))).toBe("jar bytes");
  });

  it("refuses a redirect anywhere else, and does not retry it or ask the target", async () => {
    server.use(
      http.get(`${CDN}/evil.jar`, ({ request }) => (hits.push(request.url), redirect("http://169.254.169.254/latest/meta-data/"))),
      http.get(`${CDN}/relative.jar`, () => redirect("/data/x/y.jar", 307)),
      http.get("https://cdn.modrinth.com/data/x/y.jar", () => redirect("https://evil.example.com/y.jar", 301)),
      http.get("https://evil.example.com/*", ({ request }) => (hits.push(request.url), HttpResponse.text("stolen"))),
      http.get("http://169.254.169.254/*", ({ request }) => (hits.push(request.url), HttpResponse.text("credentials"))),
    );
    await expect(source().fetchBytes(`${CDN}/evil.jar`)).rejects.toThrow(/redirected to http:\/\/169.254.169.254, which a pack may not download from .*refused/);
    expect(hits).toEqual([`${CDN}/evil.jar`]); // once: a refusal is final
    // A relative redirect is resolved, then judged like any other.
    await expect(source().fetchBytes(`${CDN}/relative.jar`)).rejects.toThrow(/redirected to https:\/\/evil.example.com, which a pack may not download from/);
    expect(hits.some((h) => h.includes("evil.example.com"))).toBe(false);
  });

  it("stops a redirect loop after five hops", async () => {
    let n = 0;
    server.use(http.get("https://cdn.modrinth.com/loop/*", () => redirect(`https://cdn.modrinth.com/loop/${++n}`)));
    await expect(source().fetchBytes("https://cdn.modrinth.com/loop/0")).rejects.toThrow(/more than 5 redirects; refused/);
    expect(n).toBe(6);
  });
});
