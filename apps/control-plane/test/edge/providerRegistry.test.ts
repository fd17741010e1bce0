import { describe, expect, it } from "vitest";
import { EdgeConfigError } from "../../src/edge/provider";
import { EDGE_PROVIDER_FACTORIES } from "../../src/edge/providers/registry";
import { naming } from "./providerKit";

/** The HTTP providers (rfc2136 and webhook are judged with ZLH_EDGE_PROVIDERS in edgeDiff.test.ts). */
const HTTP_KINDS = ["technitium", "cloudflare", "velocity", "mc-router"];
const HTTP_FACTORIES = EDGE_PROVIDER_FACTORIES.filter((f) => HTTP_KINDS.includes(f.kind));

describe("the HTTP edge providers' registry", () => {
  it("has one factory per kind, each refusing an entry without its settings by a sentence naming itself", () => {
    const kinds = EDGE_PROVIDER_FACTORIES.map((f) => f.kind);
    expect(kinds).toEqual(["rfc2136", "technitium", "cloudflare", "velocity", "mc-router", "webhook"]);
    for (const f of HTTP_FACTORIES) {
      expect(() => f.create("edge-1", {}, naming), f.kind).toThrow(EdgeConfigError);
      expect(() => f.create("edge-1", {}, naming), f.kind).toThrow(new RegExp(`^edge provider "edge-1" \\(${f.kind}\\): \\w+ (is required|must be)`));
    }
  });

  it("makes providers that carry their entry's name and kind", () => {
    const settings: Record<string, Record<string, unknown>> = {
      technitium: { url: "http://10.0.0.53:5380", token: "0123456789abcdef0123" },
      cloudflare: { apiToken: "0123456789abcdef0123456789", zoneId: "023e105f4ecef8ad9ca31a8372d0c353" },
      velocity: { url: "http://10.0.0.9:8081", secret: "0123456789abcdef" },
      "mc-router": { url: "http://10.0.0.2:8080" },
    };
    for (const f of HTTP_FACTORIES) {
      const p = f.create(`my-${f.kind}`, settings[f.kind]!, naming);
      expect([p.name, p.kind]).toEqual([`my-${f.kind}`, f.kind]);
    }
  });
});
