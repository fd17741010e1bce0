import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError } from "@zlh/domain";
import { loadConfig } from "../../src/config";
import type { EdgeNaming } from "../../src/edge/desiredEdge";
import { createHash } from "node:crypto";
import { desiredHashOn, edgeHash, wantedEdge, wantedOn } from "../../src/edge/edgeDiff";
import { parseEdgeProviders } from "../../src/edge/edgeProviders";
import { namingFingerprint } from "../../src/edge/fingerprint";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { EdgeConfigError } from "../../src/edge/provider";
import { EDGE_PROVIDER_FACTORIES } from "../../src/edge/providers/registry";
import { publishBody } from "../../src/edge/providers/webhook";

const global: EdgeNaming = { zone: "play.example.com", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: { address: "203.0.113.7", port: 25565 }, ttl: 60 };
const direct: EdgeNaming = { ...global, edge: null };
const SECRET = Buffer.alloc(32, 7).toString("base64");
const TOKEN = "Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY";
const rfc = { kind: "rfc2136", server: "10.0.0.53:53", keyName: "zlh-edge", keySecret: SECRET };
const parse = (entries: unknown[], naming = global, edgePort = 25565) => parseEdgeProviders(JSON.stringify(entries), naming, EDGE_PROVIDER_FACTORIES, undefined, edgePort);
const row = { id: "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91", vmid: 5013, address: "10.213.77.20", game_port: 30012, status: "running", desired_state: "running", name: "Alice's SMP", host_node: "pve-2" };

describe("each provider's own zone and target", () => {
  it("defaults to ZLH_EDGE_ZONE and ZLH_EDGE_ADDRESS, so an entry without them means what it did", () => {
    const [p] = parse([{ name: "dns", ...rfc }]);
    expect(p!.naming).toMatchObject({ zone: "play.example.com", edge: { address: "203.0.113.7", port: 25565 } });
    const [q] = parse([{ name: "dns", ...rfc }], direct);
    expect(q!.naming.edge).toBeNull();
  });

  it("gives an internal DNS the server's own address and game port, and a public one the edge's, side by side", () => {
    const [internal, pub, velocity, hook] = parse([
      { name: "internal-dns", ...rfc, zone: "mc.internal.lan", target: "server" },
      { name: "public-dns", kind: "cloudflare", apiToken: TOKEN, zoneId: "023e105f4ecef8ad9ca31a8372d0c353", target: "edge", edgeAddress: "198.51.100.4", edgePort: 25577 },
      { name: "velocity", kind: "velocity", url: "http://10.0.0.9:8081", secret: "0123456789abcdef" },
      { name: "hook", kind: "webhook", url: "https://10.0.0.5/edge", zone: "hook.example.org" },
    ]);
    expect(wantedOn(row, internal!)).toMatchObject({
      fqdn: "mc-fabric-5013.mc.internal.lan",
      records: [
        { type: "A", name: "mc-fabric-5013.mc.internal.lan", address: "10.213.77.20" },
        { type: "SRV", name: "_minecraft._tcp.mc-fabric-5013.mc.internal.lan", port: 30012, target: "mc-fabric-5013.mc.internal.lan" },
      ],
      route: null,
    });
    expect(wantedOn(row, pub!)).toMatchObject({
      fqdn: "mc-fabric-5013.play.example.com",
      records: [
        { type: "A", address: "198.51.100.4" },
        { type: "SRV", port: 25577 },
      ],
      route: null,
    });
    // A proxy holds the route, to the server itself; nothing of DNS (its read-back has none to compare).
    expect(wantedOn(row, velocity!)).toMatchObject({ fqdn: "mc-fabric-5013.play.example.com", records: [], route: { address: "10.213.77.20", port: 30012 } });
    expect(wantedOn(row, hook!)?.fqdn).toBe("mc-fabric-5013.hook.example.org");
    // Desired state per (server, provider): four different hashes, four different fingerprints.
    expect(new Set([internal, pub, velocity, hook].map((p) => edgeHash(wantedOn(row, p!)))).size).toBe(4);
    expect(new Set([internal, pub, velocity, hook].map((p) => namingFingerprint(p!))).size).toBe(4);
  });

  it("hashes an entry without its own zone or target exactly as before per-provider naming existed: an upgrade makes nothing due", () => {
    const [dns] = parse([{ name: "dns", ...rfc }]);
    const full = wantedEdge(row, global)!;
    const before = createHash("sha256").update(JSON.stringify({ fqdn: full.fqdn, records: full.records, route: full.route })).digest("hex").slice(0, 32);
    expect(desiredHashOn(row, dns!)).toBe(before);
  });

  it("takes a target edge's port from ZLH_EDGE_PORT when only the entry gives the address", () => {
    const [p] = parse([{ name: "dns", ...rfc, target: "edge", edgeAddress: "198.51.100.4" }], direct, 25600);
    expect(p!.naming.edge).toEqual({ address: "198.51.100.4", port: 25600 });
  });

  it("refuses a bad zone or target at start in one sentence naming the provider, never quoting a secret", () => {
    for (const [entry, says] of [
      [{ ...rfc, zone: "localhost" }, /^edge provider "p" \(rfc2136\): zone "localhost" must be a DNS zone/],
      [{ ...rfc, zone: 7 }, /zone must be a string/],
      [{ ...rfc, target: "public" }, /target must be "server" .* or "edge"/],
      [{ ...rfc, target: "server", edgeAddress: "198.51.100.4" }, /edgeAddress and edgePort go with target "edge"/],
      [{ ...rfc, target: "edge", edgeAddress: "10.0.0.256" }, /edgeAddress must be a unicast IPv4 address/],
      [{ ...rfc, target: "edge", edgeAddress: "198.51.100.4", edgePort: 70000 }, /edgePort must be a port/],
      [{ kind: "velocity", url: "http://10.0.0.9:8081", secret: "0123456789abcdef", target: "edge" }, /target does not apply: a proxy routes each name to the server's own address/],
      [{ ...rfc, zone: "mc.internal.lan", authZone: "play.example.com" }, /authZone "play.example.com" must be the provider's zone mc.internal.lan or a parent/],
    ] as const) {
      const run = () => parse([{ name: "p", ...entry }]);
      expect(run, JSON.stringify(entry)).toThrow(EdgeConfigError);
      expect(run, JSON.stringify(entry)).toThrow(says);
      expect(() => run()).not.toThrow(new RegExp(SECRET.slice(0, 12)));
    }
    // target "edge" needs an address from somewhere.
    expect(() => parse([{ name: "p", ...rfc, target: "edge" }], direct)).toThrow(/target "edge" needs edgeAddress \(or ZLH_EDGE_ADDRESS\)/);
  });

  it("stops the control plane (ConfigError: exit 2) naming ZLH_EDGE_PROVIDERS", () => {
    const base = { DATABASE_URL: "postgres://x@127.0.0.1/x", ZLH_API_TOKENS: "admin-token-0123456789", ZLH_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64"), ZLH_EDGE_ZONE: "play.example.com" };
    const run = () => loadConfig({ ...base, ZLH_EDGE_PROVIDERS: JSON.stringify([{ name: "p", ...rfc, target: "edge" }]) });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/ZLH_EDGE_PROVIDERS.*target "edge" needs edgeAddress/);
  });
});

describe("the webhook", () => {
  it("is told the documented fields again: serverId, name, hostNode, vmid, gamePort, and the fqdn, address and port it routes to", () => {
    const [hook] = parse([{ name: "hook", kind: "webhook", url: "https://panel.example.com/edge" }]);
    expect(publishBody(row.id, wantedOn(row, hook!)!)).toEqual({
      action: "publish",
      server: {
        serverId: row.id,
        name: "Alice's SMP",
        hostNode: "pve-2",
        vmid: 5013,
        gamePort: 30012,
        fqdn: "mc-fabric-5013.play.example.com",
        address: "203.0.113.7",
        port: 25565,
        records: expect.any(Array),
        route: { host: "mc-fabric-5013.play.example.com", address: "10.213.77.20", port: 30012 },
      },
    });
    const [own] = parse([{ name: "hook", kind: "webhook", url: "https://panel.example.com/edge", target: "server" }]);
    expect(publishBody(row.id, wantedOn(row, own!)!).server).toMatchObject({ address: "10.213.77.20", port: 30012 });
  });

  it("refuses an invalid URL at start with a sentence (a TypeError escaped before), in ZLH_EDGE_PROVIDERS and ZLH_EDGE_WEBHOOK_URL", () => {
    for (const url of ["http://[bad", "http://exa mple.com/x", "ftp://panel.example.com", "https://user:pw@panel.example.com/edge"]) {
      const run = () => parse([{ name: "hook", kind: "webhook", url }]);
      expect(run, url).toThrow(EdgeConfigError);
      expect(run, url).toThrow(/^edge provider "hook" \(webhook\): url /);
      expect(run, url).not.toThrow(/pw/);
    }
    const base = { DATABASE_URL: "postgres://x@127.0.0.1/x", ZLH_API_TOKENS: "admin-token-0123456789", ZLH_SECRETS_KEY: Buffer.alloc(32, 1).toString("base64"), ZLH_EDGE_ZONE: "play.example.com" };
    expect(() => loadConfig({ ...base, ZLH_EDGE_WEBHOOK_URL: "http://[bad" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ZLH_EDGE_WEBHOOK_URL: "http://[bad" })).toThrow(/ZLH_EDGE_WEBHOOK_URL/);
  });
});

describe("the worked example in docs/design/edge.md", () => {
  it("is a configuration the control plane takes, holding exactly what its table says", () => {
    const doc = readFileSync(new URL("../../../../docs/design/edge.md", import.meta.url), "utf8");
    const raw = /ZLH_EDGE_PROVIDERS='([^']+)'/.exec(doc)?.[1];
    expect(raw).toBeDefined();
    const files: Record<string, string> = { "/etc/zlh/tsig-internal.key": `${SECRET}\n`, "/etc/zlh/cloudflare.token": `${TOKEN}\n`, "/etc/zlh/zpack.secret": "correct horse battery staple\n" };
    const docNaming: EdgeNaming = { ...global, edge: { address: "203.0.113.7", port: 25565 } };
    const providers = parseEdgeProviders(raw!, docNaming, EDGE_PROVIDER_FACTORIES, (p) => files[p]!);
    expect(providers.map((p) => [p.name, p.kind])).toEqual([
      ["internal-dns", "rfc2136"],
      ["public-dns", "cloudflare"],
      ["velocity", "velocity"],
    ]);
    const s = { ...row, address: "10.0.0.23" };
    const [internal, pub, velocity] = providers.map((p) => wantedOn(s, p)!);
    expect(internal!.records.map((r) => (r.type === "A" ? `${r.name} A ${r.address}` : `${r.name} SRV ${r.port} ${r.target}`))).toEqual([
      "mc-fabric-5013.mc.internal.lan A 10.0.0.23",
      "_minecraft._tcp.mc-fabric-5013.mc.internal.lan SRV 30012 mc-fabric-5013.mc.internal.lan",
    ]);
    expect(pub!.records.map((r) => (r.type === "A" ? `${r.name} A ${r.address}` : `${r.name} SRV ${r.port} ${r.target}`))).toEqual([
      "mc-fabric-5013.play.example.com A 203.0.113.7",
      "_minecraft._tcp.mc-fabric-5013.play.example.com SRV 25565 mc-fabric-5013.play.example.com",
    ]);
    expect(velocity!.route).toEqual({ host: "mc-fabric-5013.play.example.com", address: "10.0.0.23", port: 30012 });
    for (const line of ["mc-fabric-5013.mc.internal.lan A 10.0.0.23", "mc-fabric-5013.play.example.com A 203.0.113.7", "mc-fabric-5013.play.example.com -> 10.0.0.23:30012"]) expect(doc).toContain(line);
  });
});
