import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EdgeConfigError } from "../../src/edge/provider";
import { cloudflareFactory } from "../../src/edge/providers/cloudflare/provider";
import { type FakeCloudflare, fakeCloudflare } from "./fakes/cloudflare";
import { edgeOf, naming, OTHER, rejection, SERVER, signal } from "./providerKit";

const BASE = "http://cloudflare.test/client/v4";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const ELSEWHERE = "99999999999999999999999999999999";
const TOKEN = "Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY";
const fake: FakeCloudflare = fakeCloudflare(BASE, { [TOKEN]: [ZONE_ID] });
const mock = setupServer(...fake.handlers);
const provider = (over: Record<string, unknown> = {}) => cloudflareFactory.create("public-dns", { apiToken: TOKEN, zoneId: ZONE_ID, baseUrl: BASE, ...over }, naming);
const zone = () => fake.records.get(ZONE_ID)!;
const at = (name: string) => zone().filter((r) => r.name === name);

beforeAll(() => mock.listen({ onUnhandledRequest: "error" }));
afterAll(() => mock.close());
beforeEach(() => {
  fake.records.set(ZONE_ID, [{ id: "a".repeat(32), name: "play.test", type: "NS", ttl: 86400, content: "ns1.cloudflare.test", proxied: false, comment: null }]);
  fake.maxPerPage = 5_000_000;
  fake.rateLimit = { remaining: 0, retryAfter: "0" };
  fake.hang = false;
  fake.writes = [];
});

describe("the Cloudflare provider through the official SDK (msw, from the v4 API's shapes)", () => {
  it("creates the A and SRV records with the owner comment, unproxied; applying twice writes nothing more", async () => {
    const p = provider();
    const edge = edgeOf(5013);
    await p.apply(SERVER, edge, signal());
    await p.apply(SERVER, edge, signal());
    expect(fake.writes).toEqual(["create A mc-fabric-5013.play.test", "create SRV _minecraft._tcp.mc-fabric-5013.play.test"]);
    expect(at("mc-fabric-5013.play.test")).toEqual([expect.objectContaining({ type: "A", content: "10.213.77.50", ttl: 60, proxied: false, comment: `zlh-owner=${SERVER}` })]);
    expect(at("_minecraft._tcp.mc-fabric-5013.play.test")).toEqual([expect.objectContaining({ type: "SRV", data: { priority: 0, weight: 5, port: 25565, target: "mc-fabric-5013.play.test" } })]);
    expect(await p.read(edge.fqdn, signal())).toEqual({ fqdn: edge.fqdn, owner: SERVER, records: edge.records, route: null });
  });

  it("updates a moved server's records in place and puts back one deleted by hand", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5014), signal());
    const id = at("mc-fabric-5014.play.test")[0]!.id;
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("mc-fabric-5014.play.test")).toEqual([expect.objectContaining({ id, content: "10.213.77.51" })]);
    fake.records.set(ZONE_ID, zone().filter((r) => r.type !== "SRV"));
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("_minecraft._tcp.mc-fabric-5014.play.test").map((r) => r.data?.port)).toEqual([25570]);
    // Proxied by hand in the dashboard: Cloudflare would answer its own addresses; the next apply turns the proxy off.
    at("mc-fabric-5014.play.test")[0]!.proxied = true;
    expect((await p.read("mc-fabric-5014.play.test", signal()))?.records.map((r) => r.type)).toEqual(["SRV"]);
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("mc-fabric-5014.play.test")).toEqual([expect.objectContaining({ id, proxied: false, content: "10.213.77.51" })]);
  });

  it("never touches a hand-made record or another server's, lists them all across pages", async () => {
    const p = provider();
    zone().push({ id: "b".repeat(32), name: "mc-fabric-5017.play.test", type: "A", ttl: 1, content: "192.0.2.17", proxied: true, comment: "made by hand" });
    await rejection(p.apply(SERVER, edgeOf(5017), signal()), [TOKEN]).then((e) => expect(e.code).toBe("not_owner"));
    expect((await rejection(p.remove(SERVER, "mc-fabric-5017.play.test", signal()))).code).toBe("not_owner");
    expect(at("mc-fabric-5017.play.test")).toEqual([expect.objectContaining({ content: "192.0.2.17", comment: "made by hand" })]);
    await p.apply(OTHER, edgeOf(5018, "10.213.77.60", 25565, OTHER), signal());
    expect((await rejection(p.apply(SERVER, edgeOf(5018), signal()))).code).toBe("not_owner");
    for (const vmid of [5019, 5020, 5021]) await p.apply(SERVER, edgeOf(vmid), signal());
    fake.maxPerPage = 5;
    const listed = await p.list(signal());
    expect(listed?.map((n) => [n.fqdn, n.owner])).toEqual([
      ["mc-fabric-5017.play.test", null],
      ["mc-fabric-5018.play.test", OTHER],
      ["mc-fabric-5019.play.test", SERVER],
      ["mc-fabric-5020.play.test", SERVER],
      ["mc-fabric-5021.play.test", SERVER],
    ]);
  });

  it("removes what it owns, and says absent the second time", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5016), signal());
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("removed");
    expect(zone().map((r) => r.type)).toEqual(["NS"]);
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("absent");
  });

  it("fails with codes and sentences that never quote the token: unknown token, no access to the zone, 429, a hung API", async () => {
    const wrong = "WRONGWRONGWRONGWRONGWRONGWRONGWRONGWRONG";
    const bad = await rejection(provider({ apiToken: wrong }).list(signal()), [wrong, TOKEN]);
    expect([bad.code, bad.message]).toEqual(["unauthorized", expect.stringMatching(/HTTP 401: 9109 Invalid access token/)]);
    const denied = await rejection(provider({ zoneId: ELSEWHERE }).list(signal()), [TOKEN]);
    expect([denied.code, denied.message]).toEqual(["unauthorized", expect.stringMatching(/HTTP 403: 10000 Authentication error/)]);
    fake.rateLimit = { remaining: 1, retryAfter: "30" };
    const limited = await rejection(provider().apply(SERVER, edgeOf(5022), signal()), [TOKEN]);
    expect([limited.code, limited.message]).toEqual(["rate_limited", expect.stringMatching(/HTTP 429: 971 .*retry after 30 s/)]);
    fake.hang = true;
    const hung = await rejection(provider({ timeoutMs: 200 }).apply(SERVER, edgeOf(5022), signal()), [TOKEN]);
    expect([hung.code, hung.message]).toEqual(["timeout", expect.stringMatching(/did not answer while listing records within 200 ms/)]);
    fake.hang = false;
    expect(await provider().read("mc-fabric-5022.play.test", signal())).toBeNull();
  });

  it("refuses bad settings at start naming the field, never the token", () => {
    const refused = (settings: Record<string, unknown>) => {
      try {
        cloudflareFactory.create("public-dns", settings, naming);
      } catch (e) {
        expect(e).toBeInstanceOf(EdgeConfigError);
        expect((e as Error).message).not.toContain(TOKEN);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused({ zoneId: ZONE_ID })).toMatch(/"public-dns" \(cloudflare\): apiToken is required/);
    expect(refused({ apiToken: TOKEN, zoneId: "example.com" })).toMatch(/zoneId must be the zone's id, 32 lowercase hex digits/);
    expect(refused({ apiToken: TOKEN, zoneId: ZONE_ID, authZone: "example.net" })).toMatch(/authZone "example.net" must be the provider's zone play.test or a parent/);
    expect(refused({ apiToken: TOKEN, zoneId: ZONE_ID, baseUrl: `https://x:${TOKEN}@api.cloudflare.com` })).toMatch(/baseUrl must not carry credentials/);
    expect(() => cloudflareFactory.create("public-dns", { apiToken: TOKEN, zoneId: ZONE_ID }, { ...naming, ttl: 30 })).toThrow(
      /"public-dns" \(cloudflare\): ZLH_EDGE_TTL 30 is under the 60 s Cloudflare accepts/,
    );
    expect(() => cloudflareFactory.create("public-dns", { apiToken: TOKEN, zoneId: ZONE_ID }, { ...naming, ttl: 60 })).not.toThrow();
  });
});
