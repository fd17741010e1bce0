import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "@zlh/domain";
import { loadConfig } from "../../src/config";
import type { EdgeNaming } from "../../src/edge/desiredEdge";
import { wantedOn } from "../../src/edge/edgeDiff";
import { parseEdgeProviders } from "../../src/edge/edgeProviders";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { EdgeConfigError } from "../../src/edge/provider";
import { EDGE_PROVIDER_FACTORIES } from "../../src/edge/providers/registry";
import { webhookSignature } from "../../src/edge/providers/webhook";

const naming: EdgeNaming = { zone: "play.example.com", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
const parse = (entry: Record<string, unknown>) => parseEdgeProviders(JSON.stringify([{ name: "hook", kind: "webhook", ...entry }]), naming, EDGE_PROVIDER_FACTORIES, undefined, 25565);
const SECRET = "a-webhook-secret-that-is-32-chars!";
const row = { id: "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91", vmid: 5013, address: "10.213.77.20", game_port: 30012, status: "running", desired_state: "running", name: "smp", host_node: "pve-2" };

describe("the webhook's transport and secret", () => {
  it("refuses plain http:// to anything but a loopback address, and names the field", () => {
    for (const url of ["http://10.0.0.5/edge", "http://panel.example.com/edge", "http://127.example.com/edge"]) {
      expect(() => parse({ url }), url).toThrow(EdgeConfigError);
      expect(() => parse({ url }), url).toThrow(/^edge provider "hook" \(webhook\): url must be an https:\/\/ URL/);
    }
    for (const url of ["http://127.0.0.1:9/h", "http://[::1]:9/h", "http://localhost:9/h", "https://10.0.0.5/edge"]) expect(() => parse({ url }), url).not.toThrow();
  });

  it("refuses a secret shorter than 32 characters without showing it", () => {
    const run = () => parse({ url: "https://panel.example.com/edge", secret: "short-secret-123" });
    expect(run).toThrow(/secret must be at least 32 characters/);
    expect(run).not.toThrow(/short-secret-123/);
    expect(() => parse({ url: "https://panel.example.com/edge", secret: "" })).toThrow(/secret /);
  });

  it("names ZLH_EDGE_WEBHOOK_SECRET when the shorthand's secret is short, with or without ZLH_EDGE_PROVIDERS", () => {
    const base = { DATABASE_URL: "postgres://x@127.0.0.1/x", ZLH_API_TOKENS: "admin-token-0123456789", ZLH_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64"), ZLH_EDGE_ZONE: "play.example.com" };
    const short = { ...base, ZLH_EDGE_WEBHOOK_URL: "https://panel.example.com/edge", ZLH_EDGE_WEBHOOK_SECRET: "too-short" };
    const other = JSON.stringify([{ name: "dns", kind: "rfc2136", server: "10.0.0.53:53", keyName: "k", keySecret: Buffer.alloc(32, 7).toString("base64") }]);
    for (const env of [short, { ...short, ZLH_EDGE_PROVIDERS: other }]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/^ZLH_EDGE_WEBHOOK_SECRET\b.*secret must be at least 32 characters/);
      expect(() => loadConfig(env)).not.toThrow(/too-short/);
    }
    expect(() => loadConfig({ ...base, ZLH_EDGE_WEBHOOK_URL: "http://panel.example.com/edge" })).toThrow(/^ZLH_EDGE_WEBHOOK_URL\b.*https:\/\//);
  });

  it("a refused setting carries its field, not only a sentence naming it (a quoted value may read like another field)", () => {
    const refusal = (entry: Record<string, unknown>) => {
      try {
        parse(entry);
      } catch (err) {
        return err instanceof EdgeConfigError ? err.field : err;
      }
      return "accepted";
    };
    expect(refusal({ url: "x): secret y" })).toBe("url");
    expect(refusal({ url: "http://panel.example.com/edge" })).toBe("url");
    expect(refusal({ url: "https://panel.example.com/edge", secret: "short" })).toBe("secret");
    expect(refusal({ url: "https://panel.example.com/edge", timeoutMs: 0 })).toBe("timeoutMs");
    expect(refusal({ url: "https://panel.example.com/edge", secrets: SECRET })).toBe("secrets");
  });
});

describe("a signed call", () => {
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  let url = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("carries its time, and a signature over the time and the body that a replay with another time fails", async () => {
    const [hook] = parse({ url, secret: SECRET });
    const before = Math.floor(Date.now() / 1000);
    await hook!.apply(row.id, wantedOn(row, hook!)!, AbortSignal.timeout(5000));
    const { headers, body } = seen.at(-1)!;
    const timestamp = Number(headers["x-zlh-timestamp"]);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    // Recomputed the way docs/design/edge.md tells a receiver to.
    expect(headers["x-zlh-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex")}`);
    expect(headers["x-zlh-signature"]).not.toBe(webhookSignature(SECRET, timestamp + 600, body));
    expect(headers["x-zlh-signature"]).not.toBe(`sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`);
  });

  it("is unsigned without a secret", async () => {
    const [hook] = parse({ url });
    await hook!.remove(row.id, "mc-fabric-5013.play.example.com", AbortSignal.timeout(5000));
    expect(seen.at(-1)!.headers["x-zlh-signature"]).toBeUndefined();
    expect(seen.at(-1)!.headers["x-zlh-timestamp"]).toBeUndefined();
  });
});
