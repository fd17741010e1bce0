import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { desiredEdge, type EdgeNaming } from "../src/edge/desiredEdge";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate, parseZone } from "../src/edge/naming";

const ID = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91";
const naming = (over: Partial<EdgeNaming> = {}): EdgeNaming => ({ zone: "play.example.com", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60, ...over });

describe("edge names", () => {
  it("names a server as the user's system does by default, and by any valid template", () => {
    expect(parseNameTemplate(DEFAULT_NAME_TEMPLATE).label({ vmid: 5013, type: "fabric", serverId: ID })).toBe("mc-fabric-5013");
    expect(parseNameTemplate("dev-{vmid}").label({ vmid: 5013, type: "fabric", serverId: ID })).toBe("dev-5013");
    expect(parseNameTemplate("{id8}").label({ vmid: 5013, type: "fabric", serverId: ID })).toBe("5e1f5a5e");
  });

  it("refuses a template that is not one DNS label, has an unknown placeholder, or could name two servers alike", () => {
    for (const [template, says] of [
      ["mc.{vmid}", /lowercase letters, digits, '-'/],
      ["MC-{vmid}", /lowercase letters/],
      ["mc-{host}-{vmid}", /unknown placeholder \{host\}/],
      ["mc-{type}", /must contain \{vmid\} or \{id8\}/],
      ["-{vmid}", /start or end with '-'/],
      [`${"x".repeat(60)}-{vmid}`, /a DNS label holds 63/],
      ["mc-{vmid", /lowercase letters/],
    ] as const) {
      expect(() => parseNameTemplate(template), template).toThrow(says);
    }
  });

  it("makes a valid, distinct DNS name for every VMID under any valid zone", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 100, max: 999_999_999 }), { minLength: 2, maxLength: 20 }), fc.constantFrom(DEFAULT_NAME_TEMPLATE, "dev-{vmid}", "{vmid}-{id8}", "x{vmid}y"), (vmids, template) => {
        const n = naming({ template: parseNameTemplate(template) });
        const names = vmids.map((vmid) => desiredEdge({ id: ID, vmid, type: "fabric", address: "10.0.0.5", gamePort: 25565 }, n).fqdn);
        expect(new Set(names).size).toBe(vmids.length);
        for (const name of names) {
          expect(name.length).toBeLessThanOrEqual(253);
          for (const label of name.split(".")) expect(label).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
        }
      }),
    );
  });

  it("takes a zone with or without its trailing dot, and refuses what is not one", () => {
    expect(parseZone("Play.Example.COM.")).toBe("play.example.com");
    for (const bad of ["com", "play..example.com", "play_x.example.com", "-a.example.com", ""]) expect(() => parseZone(bad), bad).toThrow(/DNS zone/);
  });
});

describe("a server's desired edge", () => {
  const server = { id: ID, vmid: 5013, type: "fabric", address: "10.213.77.20", gamePort: 30012 };

  it("points A and SRV at the server itself without an edge proxy, with its own game port", () => {
    expect(desiredEdge(server, naming())).toEqual({
      fqdn: "mc-fabric-5013.play.example.com",
      records: [
        { type: "A", name: "mc-fabric-5013.play.example.com", ttl: 60, address: "10.213.77.20" },
        { type: "SRV", name: "_minecraft._tcp.mc-fabric-5013.play.example.com", ttl: 60, priority: 0, weight: 5, port: 30012, target: "mc-fabric-5013.play.example.com" },
      ],
      route: { host: "mc-fabric-5013.play.example.com", address: "10.213.77.20", port: 30012 },
      server: { id: ID, name: null, hostNode: null, vmid: 5013, gamePort: 30012 },
    });
  });

  it("points the records at the edge proxy, which routes the name to the server's address and port", () => {
    const d = desiredEdge(server, naming({ edge: { address: "203.0.113.7", port: 25565 } }));
    expect(d.records).toEqual([
      expect.objectContaining({ type: "A", address: "203.0.113.7" }),
      expect.objectContaining({ type: "SRV", port: 25565, target: d.fqdn }),
    ]);
    expect(d.route).toEqual({ host: d.fqdn, address: "10.213.77.20", port: 30012 });
  });

  it("has a name but no record or route while the address is unknown", () => {
    expect(desiredEdge({ ...server, address: null }, naming())).toMatchObject({ fqdn: "mc-fabric-5013.play.example.com", records: [], route: null });
  });
});

describe("edge configuration", () => {
  const base = { DATABASE_URL: "postgres://x@127.0.0.1/x", ZLH_API_TOKENS: "admin-token-0123456789", ZLH_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64") };

  it("stops the control plane at start on a bad template, zone or edge address, naming the variable", () => {
    expect(() => loadConfig({ ...base, ZLH_EDGE_NAME_TEMPLATE: "mc.{vmid}" })).toThrow(/ZLH_EDGE_NAME_TEMPLATE/);
    expect(() => loadConfig({ ...base, ZLH_EDGE_ZONE: "localhost" })).toThrow(/ZLH_EDGE_ZONE/);
    expect(() => loadConfig({ ...base, ZLH_EDGE_ZONE: "play.example.com", ZLH_EDGE_ADDRESS: "999.1.1.1" })).toThrow(/ZLH_EDGE_ADDRESS/);
  });

  it("names nothing without a zone, and reads the zone, edge and TTL when given", () => {
    expect(loadConfig(base).edgeNaming).toBeNull();
    const n = loadConfig({ ...base, ZLH_EDGE_ZONE: "play.example.com.", ZLH_EDGE_ADDRESS: "203.0.113.7", ZLH_EDGE_TTL: "120" }).edgeNaming!;
    expect({ zone: n.zone, edge: n.edge, ttl: n.ttl, template: n.template.source }).toEqual({ zone: "play.example.com", edge: { address: "203.0.113.7", port: 25565 }, ttl: 120, template: "mc-{type}-{vmid}" });
  });
});
