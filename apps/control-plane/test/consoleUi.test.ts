import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consolePath, consoleUiPlugin } from "../src/plugins/consoleUi";

/** The operator console's files as the control plane serves them at /ui (plugins/consoleUi.ts), over a build laid out as Vite makes it. */
describe("/ui", () => {
  let dir: string;
  let outside: string;
  let app: FastifyInstance;
  const INDEX = '<!doctype html><div id="app"></div><script type="module" src="/ui/assets/index-Ab12.js"></script>';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zlh-ui-"));
    outside = await mkdtemp(join(tmpdir(), "zlh-ui-outside-"));
    await mkdir(join(dir, "assets"));
    await writeFile(join(dir, "index.html"), INDEX);
    await writeFile(join(dir, "assets/index-Ab12.js"), "console.log(1)");
    await writeFile(join(dir, "assets/index-Cd34.css"), "body{}");
    await writeFile(join(dir, ".source-hash"), "not served");
    await writeFile(join(outside, "secret.txt"), "secret");
    await symlink(join(outside, "secret.txt"), join(dir, "assets/leak.js"));
    app = Fastify();
    await app.register(consoleUiPlugin, { dir });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("serves index.html with a strict CSP, nosniff and no-cache, at /ui and /ui/", async () => {
    for (const url of ["/ui", "/ui/"]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      const csp = String(res.headers["content-security-policy"]);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-inline");
    }
  });

  it("serves hashed assets as immutable with their type, and 304 for a matching ETag", async () => {
    const js = await app.inject({ url: "/ui/assets/index-Ab12.js" });
    expect(js.statusCode).toBe(200);
    expect(js.body).toBe("console.log(1)");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const again = await app.inject({ url: "/ui/assets/index-Ab12.js", headers: { "if-none-match": String(js.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect((await app.inject({ url: "/ui/assets/index-Cd34.css" })).headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("answers client routes with index.html, but a missing asset with 404", async () => {
    const page = await app.inject({ url: "/ui/servers/0b0f8c55-5b0e-4a43-9a57-5b7a4ad1c111?x=1" });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(INDEX);
    const asset = await app.inject({ url: "/ui/assets/index-OLD.js" });
    expect(asset.statusCode).toBe(404);
    expect(asset.json()).toMatchObject({ error: "not_found" });
  });

  it("refuses paths that climb out, and never serves a link or a dot file from the build", async () => {
    // Sent as is over a socket: an HTTP client (and inject) would resolve the dots before sending.
    const base = new URL(await app.listen({ port: 0, host: "127.0.0.1" }));
    for (const path of ["/ui/../../package.json", "/ui/assets/..%2f..%2fsecret.txt", "/ui/%2e%2e/x", "/ui/a%5c..%5cb", "/ui/%00"]) {
      const raw = await rawGet(base, path);
      expect(raw, path).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw, path).toContain('"error":"invalid_request"');
      expect(raw.toLowerCase(), path).toContain("content-security-policy: default-src 'none'");
    }
    // Not even UTF-8: Fastify's router refuses it before any route (the app's error handler words it).
    expect(await rawGet(base, "/ui/%E0%A4%A")).toMatch(/^HTTP\/1\.1 400 /);
    const link = await app.inject({ url: "/ui/assets/leak.js" });
    expect(link.statusCode).toBe(404);
    expect(link.body).not.toContain("secret");
    expect((await app.inject({ url: "/ui/.source-hash" })).body).toBe(INDEX);
  });

  it("maps request paths into the build", () => {
    expect(consolePath("/ui/")).toBe("");
    expect(consolePath("/ui/assets/a.js?v=1")).toBe("assets/a.js");
    expect(consolePath("/ui//assets//a.js")).toBe("assets/a.js");
    expect(consolePath("/ui/a%20b")).toBe("a b");
    expect(consolePath("/ui/./a")).toBeNull();
  });

  it("says the console is not built when its directory has none", async () => {
    const bare = Fastify();
    await bare.register(consoleUiPlugin, { dir: join(outside, "nothing-here") });
    const res = await bare.inject({ url: "/ui/" });
    await bare.close();
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/not built/);
  });
});

function rawGet(base: URL, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname, () => socket.end(`GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\nConnection: close\r\n\r\n`));
    let text = "";
    socket.on("data", (b) => (text += b.toString()));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}
