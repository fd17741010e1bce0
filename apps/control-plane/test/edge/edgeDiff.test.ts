import { describe, expect, it } from "vitest";
import { reachableCondition } from "../../src/edge/conditions";
import type { EdgeNaming } from "../../src/edge/desiredEdge";
import { auditProvider, backoffMs, markedOwners, edgeHash, matchesDesired, removalVerified, resolveNamedOwners, wantedEdge } from "../../src/edge/edgeDiff";
import { parseEdgeProviders } from "../../src/edge/edgeProviders";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { NAMED_OWNER, type ObservedName } from "../../src/edge/provider";
import { EDGE_PROVIDER_FACTORIES } from "../../src/edge/providers/registry";

const A = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91";
const B = "0a0b0c0d-1111-4222-8333-444455556666";
const naming: EdgeNaming = { zone: "play.test", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
const server = (over: Partial<Parameters<typeof wantedEdge>[0]> = {}) => ({ id: A, vmid: 5013, address: "10.0.0.5", game_port: 25565, status: "running", desired_state: "running", ...over });
const observedOf = (id: string | null, edge = wantedEdge(server(), naming)!): ObservedName => ({ fqdn: edge.fqdn, owner: id, records: [...edge.records].reverse(), route: null });

describe("desired edge against observed", () => {
  it("wants records only for a server that came up with an address and is not being deleted", () => {
    expect(wantedEdge(server(), naming)?.fqdn).toBe("mc-fabric-5013.play.test");
    expect(wantedEdge(server({ status: "stopped" }), naming)).not.toBeNull();
    for (const over of [{ address: null }, { status: "pending" }, { status: "deleting" }, { status: "deleted" }, { desired_state: "deleted" }, { status: "failed" }]) {
      expect(wantedEdge(server(over), naming), JSON.stringify(over)).toBeNull();
    }
    // The hash follows everything the records depend on.
    expect(edgeHash(wantedEdge(server(), naming))).toBe(edgeHash(wantedEdge(server(), naming)));
    expect(edgeHash(wantedEdge(server({ game_port: 25570 }), naming))).not.toBe(edgeHash(wantedEdge(server(), naming)));
    expect(edgeHash(null)).toBeNull();
  });

  it("matches the records in any order, only under the server's own mark", () => {
    const edge = wantedEdge(server(), naming)!;
    expect(matchesDesired(A, edge, observedOf(A))).toBe(true);
    expect(matchesDesired(A, edge, observedOf(B))).toBe(false);
    expect(matchesDesired(A, edge, null)).toBe(false);
    expect(matchesDesired(A, edge, { ...observedOf(A), records: edge.records.slice(0, 1) })).toBe(false);
    expect(matchesDesired(A, edge, observedOf(A, wantedEdge(server({ address: "10.0.0.6" }), naming)!))).toBe(false);
  });

  it("looks up only marks that are well-formed UUIDs (a malformed one would fail the audit's ::uuid cast)", () => {
    const mark = (owner: string | null): ObservedName => ({ fqdn: "x.play.test", owner, records: [], route: null });
    const odd = ["------------------------------------", "5e1f5a5e0d2b-4c53-8a4e-2f0d3c1b7a91-", "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a9g", NAMED_OWNER];
    expect(markedOwners([mark(A), mark(A.toUpperCase()), mark(null), mark(B), ...odd.map(mark)])).toEqual([A, B]);
  });

  it("audits a listing: repairs what is missing or wrong, removes a deleted server's name, reports unowned names in the scheme and leaves them", () => {
    const a = wantedEdge(server(), naming)!;
    const b = wantedEdge(server({ id: B, vmid: 5014 }), naming)!;
    const desired = new Map([
      [a.fqdn, { serverId: A, edge: a }],
      [b.fqdn, { serverId: B, edge: b }],
    ]);
    const gone = "7b7b7b7b-1111-4222-8333-444455556666";
    const observed: ObservedName[] = [
      { ...observedOf(A), records: a.records.slice(0, 1) }, // SRV deleted by hand
      { fqdn: "mc-fabric-5020.play.test", owner: gone, records: [], route: null }, // a deleted server's
      { fqdn: "mc-fabric-5999.play.test", owner: null, records: [], route: null }, // made by hand in the scheme
      { fqdn: "ns.play.test", owner: null, records: [], route: null }, // the zone's own
      { fqdn: "mc-fabric-5030.play.test", owner: "someone-else", records: [], route: null }, // another platform's mark
    ];
    const actions = auditProvider(observed, desired, (id) => id === A || id === B || id === gone, (f) => naming.template.matches(f.replace(".play.test", "")));
    expect(actions).toEqual([
      { kind: "repair", serverId: A, fqdn: a.fqdn },
      { kind: "remove", serverId: gone, fqdn: "mc-fabric-5020.play.test" },
      { kind: "drift", fqdn: "mc-fabric-5999.play.test", detail: expect.objectContaining({ reason: "not_owned" }) },
      { kind: "drift", fqdn: "mc-fabric-5030.play.test", detail: expect.objectContaining({ reason: "unknown_owner" }) },
      { kind: "repair", serverId: B, fqdn: b.fqdn },
    ]);
    expect(auditProvider([observedOf(A)], new Map([[a.fqdn, { serverId: A, edge: a }]]), () => true, () => true)).toEqual([]);
  });

  it("reports at most 1,000 drift items an audit, each quoting at most 20 records and a bounded owner: a provider's answer is anyone's text", () => {
    const junk: ObservedName[] = Array.from({ length: 5000 }, (_, i) => ({
      fqdn: `mc-fabric-${100000 + i}.play.test`,
      owner: i === 0 ? "x".repeat(5000) : null,
      records: Array.from({ length: 50 }, (_, j) => ({ type: "A" as const, name: `mc-fabric-${100000 + i}.play.test`, ttl: 60, address: `192.0.2.${j}` })),
      route: null,
    }));
    const actions = auditProvider(junk, new Map(), () => false, () => true);
    expect(actions).toHaveLength(1000);
    expect(actions.every((a) => a.kind === "drift" && (a.detail.records as unknown[]).length === 20)).toBe(true);
    expect((actions[0] as unknown as { detail: { owner: string } }).detail.owner.length).toBe(64);
  });

  it("judges a proxy's route, owned by the naming scheme, as the server's the database gives that name", () => {
    const edge = wantedEdge(server(), naming)!;
    const route = { fqdn: edge.fqdn, owner: NAMED_OWNER, records: [], route: { address: edge.route!.address, port: edge.route!.port } };
    const dnsless = { ...edge, records: [] };
    expect(matchesDesired(A, dnsless, route)).toBe(true);
    expect(removalVerified(A, route)).toBe(false);
    const gone = "7b7b7b7b-1111-4222-8333-444455556666";
    const stale = { fqdn: "mc-fabric-5020.play.test", owner: NAMED_OWNER, records: [], route: { address: "10.0.0.9", port: 25565 } };
    const stranger = { fqdn: "mc-fabric-5999.play.test", owner: NAMED_OWNER, records: [], route: { address: "10.0.0.8", port: 25565 } };
    const holders = [
      { server_id: gone, fqdn: edge.fqdn, desired_hash: null }, // a deleted server that had VMID 5013 before A
      { server_id: A, fqdn: edge.fqdn, desired_hash: "h" },
      { server_id: gone, fqdn: stale.fqdn, desired_hash: null },
    ];
    expect(resolveNamedOwners([route, stale, stranger], holders).map((o) => o.owner)).toEqual([A, gone, null]);
  });

  it("backs off exponentially, bounded", () => {
    expect([0, 1, 2, 3].map(backoffMs)).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(50)).toBe(300_000);
  });
});

describe("the reachable condition", () => {
  const pub = (over: Partial<Parameters<typeof reachableCondition>[1][number]> = {}) => ({ provider: "dns", desired_hash: "h", applied_hash: "h", next_attempt_at: null, last_error_code: null, last_error: null, ...over });
  it("is true only when every configured provider applied and verified the current records", () => {
    const s = { status: "running", desired_state: "running" };
    expect(reachableCondition(s, [pub(), pub({ provider: "hook" })], ["dns", "hook"])).toMatchObject({ status: true, reason: "verified" });
    expect(reachableCondition(s, [pub()], ["dns", "hook"])).toMatchObject({ status: false, reason: "propagating", message: expect.stringContaining("hook") });
    expect(reachableCondition(s, [pub({ applied_hash: "old", next_attempt_at: "now" })], ["dns"])).toMatchObject({ status: false, reason: "propagating" });
    expect(reachableCondition(s, [pub({ last_error_code: "timeout", last_error: "dns: no answer" })], ["dns"])).toEqual({ status: false, reason: "timeout", message: "dns: no answer" });
    expect(reachableCondition({ status: "deleting", desired_state: "deleted" }, [pub({ desired_hash: null })], ["dns"])).toMatchObject({ status: false, reason: "not_published" });
  });
});

describe("ZLH_EDGE_PROVIDERS", () => {
  const parse = (raw: string, files: Record<string, string> = {}) =>
    parseEdgeProviders(raw, naming, EDGE_PROVIDER_FACTORIES, (p) => {
      if (!(p in files)) throw Object.assign(new Error("no"), { code: "ENOENT" });
      return files[p]!;
    });
  const secret = Buffer.alloc(32, 7).toString("base64");
  it("makes providers side by side, reading secrets from files", () => {
    const ps = parse(JSON.stringify([{ name: "internal-dns", kind: "rfc2136", server: "127.0.0.1:53", keyName: "zlh-edge", keySecretFile: "/k" }, { name: "hook", kind: "webhook", url: "http://127.0.0.1:9/h" }]), { "/k": `${secret}\n` });
    expect(ps.map((p) => [p.name, p.kind, p.pushOnly ?? false])).toEqual([
      ["internal-dns", "rfc2136", false],
      ["hook", "webhook", true],
    ]);
  });
  it("refuses what cannot work in one sentence, never quoting a secret", () => {
    for (const [raw, says] of [
      ["{", /not JSON/],
      ['{"name":"x"}', /JSON array/],
      ['[{"name":"x","kind":"bind"}]', /kind "bind" is not one of rfc2136, technitium, cloudflare, velocity, mc-router, webhook/],
      ['[{"name":"X","kind":"webhook"}]', /name must be/],
      ['[{"name":"a","kind":"webhook","url":"ftp://x"},{"name":"a","kind":"webhook","url":"http://x"}]', /url must be an http/],
      ['[{"name":"a","kind":"webhook","url":"https://x"},{"name":"a","kind":"webhook","url":"https://x"}]', /two providers are named a/],
      ['[{"name":"a","kind":"rfc2136","server":"h","keyName":"k","keySecretFile":"/missing"}]', /keySecretFile \/missing cannot be read \(ENOENT\)/],
      [`[{"name":"a","kind":"rfc2136","server":"h","keyName":"k","keySecret":"${secret}!"}]`, /key secret is not base64/],
      [`[{"name":"a","kind":"rfc2136","server":"h","keyName":"k","keySecret":"${secret}","authZone":"example.net"}]`, /authZone "example.net" must be the provider's zone play.test or a parent of it/],
    ] as const) {
      expect(() => parse(raw), raw).toThrow(says);
      try {
        parse(raw);
      } catch (e) {
        expect((e as Error).message).not.toContain(secret);
      }
    }
  });
});
