import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EdgeConfigError } from "../../src/edge/provider";
import { technitiumFactory } from "../../src/edge/providers/technitium/provider";
import { type FakeTechnitium, fakeTechnitium, newZone } from "./fakes/technitium";
import { edgeOf, naming, OTHER, rejection, SERVER, signal } from "./providerKit";

const BASE = "http://technitium.test:5380";
const TOKEN = "4b12168172073ff8b7c75df6b711d15bdcb34910c5a582ca8914068a108ae065";
const VIEWER = "7777777777777777777777777777777777777777777777777777777777777777";
const fake: FakeTechnitium = fakeTechnitium(BASE, { [TOKEN]: ["play.test"], [VIEWER]: ["other.test"] });
const mock = setupServer(...fake.handlers);
const provider = (over: Record<string, unknown> = {}) => technitiumFactory.create("internal-dns", { url: BASE, token: TOKEN, ...over }, naming);
const zone = () => fake.zones.get("play.test")!;
const at = (name: string) => zone().filter((r) => r.name === name);

beforeAll(() => mock.listen({ onUnhandledRequest: "error" }));
afterAll(() => mock.close());
beforeEach(() => {
  fake.zones.set("play.test", newZone("play.test"));
  fake.zones.set("other.test", newZone("other.test"));
  fake.hang = false;
});

describe("the Technitium provider against its HTTP API (msw, from APIDOCS.md)", () => {
  it("publishes the A and SRV records marked with the server's comment, and applying twice leaves one of each", async () => {
    const p = provider();
    const edge = edgeOf(5013);
    await p.apply(SERVER, edge, signal());
    await p.apply(SERVER, edge, signal());
    expect(at("mc-fabric-5013.play.test")).toEqual([{ name: "mc-fabric-5013.play.test", type: "A", ttl: 60, rData: { ipAddress: "10.213.77.50" }, comments: `zlh-owner=${SERVER}` }]);
    expect(at("_minecraft._tcp.mc-fabric-5013.play.test")).toEqual([
      { name: "_minecraft._tcp.mc-fabric-5013.play.test", type: "SRV", ttl: 60, rData: { priority: 0, weight: 5, port: 25565, target: "mc-fabric-5013.play.test" }, comments: `zlh-owner=${SERVER}` },
    ]);
    // The second apply only read: nothing to write.
    expect(fake.calls.slice(-2).map((c) => c.path)).toEqual(["/api/zones/records/get", "/api/zones/records/get"]);
    expect(await p.read(edge.fqdn, signal())).toEqual({ fqdn: edge.fqdn, owner: SERVER, records: edge.records, route: null });
    // The token travels in the form body, never in the URL.
    expect(fake.calls.every((c) => !JSON.stringify(c).includes(TOKEN))).toBe(true);
  });

  it("replaces a moved server's records and puts back one deleted by hand", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5014), signal());
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("mc-fabric-5014.play.test").map((r) => r.rData)).toEqual([{ ipAddress: "10.213.77.51" }]);
    expect(at("_minecraft._tcp.mc-fabric-5014.play.test").map((r) => r.rData.port)).toEqual([25570]);
    fake.zones.set("play.test", zone().filter((r) => r.name !== "mc-fabric-5014.play.test"));
    expect((await p.read("mc-fabric-5014.play.test", signal()))?.records.map((r) => r.type)).toEqual(["SRV"]);
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("mc-fabric-5014.play.test").map((r) => r.rData)).toEqual([{ ipAddress: "10.213.77.51" }]);
    // Disabled in the web console: not answered, so not the desired record; the next apply enables it again.
    at("mc-fabric-5014.play.test")[0]!.disabled = true;
    expect((await p.read("mc-fabric-5014.play.test", signal()))?.records.map((r) => r.type)).toEqual(["SRV"]);
    await p.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570), signal());
    expect(at("mc-fabric-5014.play.test")).toEqual([expect.objectContaining({ rData: { ipAddress: "10.213.77.51" }, comments: `zlh-owner=${SERVER}` })]);
    expect(at("mc-fabric-5014.play.test")[0]!.disabled).toBeUndefined();
    // A disabled record of ours is still removed with the rest.
    at("mc-fabric-5014.play.test")[0]!.disabled = true;
    expect(await p.remove(SERVER, "mc-fabric-5014.play.test", signal())).toBe("removed");
    expect(zone().filter((r) => r.name.includes("5014"))).toEqual([]);
  });

  it("never touches a record made by hand or marked as another server's, and lists it with owner null", async () => {
    const p = provider();
    zone().push({ name: "mc-fabric-5017.play.test", type: "A", ttl: 300, rData: { ipAddress: "192.0.2.17" } });
    const before = structuredClone(zone());
    const e = await rejection(p.apply(SERVER, edgeOf(5017), signal()));
    expect(e.code).toBe("not_owner");
    expect(e.message).toMatch(/mc-fabric-5017\.play\.test holds records not marked .*left alone/);
    expect((await rejection(p.remove(SERVER, "mc-fabric-5017.play.test", signal()))).code).toBe("not_owner");
    expect(zone()).toEqual(before);

    await p.apply(OTHER, edgeOf(5018, "10.213.77.60", 25565, OTHER), signal());
    expect((await rejection(p.apply(SERVER, edgeOf(5018), signal()))).code).toBe("not_owner");
    await p.apply(SERVER, edgeOf(5019), signal());
    // Names the edge never writes (the apex, a deeper name) are not edge names at all.
    zone().push({ name: "play.test", type: "A", ttl: 300, rData: { ipAddress: "192.0.2.1" } }, { name: "www.deep.play.test", type: "A", ttl: 300, rData: { ipAddress: "192.0.2.2" } });
    const listed = await p.list(signal());
    expect(listed?.map((n) => [n.fqdn, n.owner])).toEqual([
      ["mc-fabric-5017.play.test", null],
      ["mc-fabric-5018.play.test", OTHER],
      ["mc-fabric-5019.play.test", SERVER],
    ]);
    expect(listed?.[0]?.records).toEqual([{ type: "A", name: "mc-fabric-5017.play.test", ttl: 300, address: "192.0.2.17" }]);
  });

  it("removes what it owns, and says absent the second time", async () => {
    const p = provider();
    const edge = edgeOf(5016);
    await p.apply(SERVER, edge, signal());
    expect(await p.remove(SERVER, edge.fqdn, signal())).toBe("removed");
    expect(zone().map((r) => r.type)).toEqual(["SOA", "NS"]);
    expect(await p.remove(SERVER, edge.fqdn, signal())).toBe("absent");
    expect(await p.read(edge.fqdn, signal())).toBeNull();
  });

  it("fails with codes and sentences that never quote the token: a wrong token, one without the zone, a missing zone, a hung server", async () => {
    const wrong = "0000000000000000000000000000000000000000000000000000000000000000";
    const bad = await rejection(provider({ token: wrong }).apply(SERVER, edgeOf(5020), signal()), [wrong, TOKEN]);
    expect([bad.code, bad.message]).toEqual(["unauthorized", expect.stringMatching(/refused the API token \(invalid-token: Invalid token or session expired\.\)/)]);
    const denied = await rejection(provider({ token: VIEWER }).list(signal()), [VIEWER]);
    expect([denied.code, denied.message]).toEqual(["unauthorized", expect.stringMatching(/Access was denied\./)]);
    fake.zones.delete("play.test");
    const noZone = await rejection(provider().list(signal()), [TOKEN]);
    expect([noZone.code, noZone.message]).toEqual(["rejected", expect.stringMatching(/No such authoritative zone was found: play\.test/)]);
    fake.zones.set("play.test", newZone("play.test"));
    fake.hang = true;
    const hung = await rejection(provider({ timeoutMs: 200 }).apply(SERVER, edgeOf(5020), signal()), [TOKEN]);
    expect([hung.code, hung.message]).toEqual(["timeout", expect.stringMatching(/did not answer POST \/api\/zones\/records\/get within 200 ms\./)]);
  });

  it("refuses bad settings at start with a sentence naming the field, never the token", () => {
    const refused = (settings: Record<string, unknown>) => {
      try {
        technitiumFactory.create("internal-dns", settings, naming);
      } catch (e) {
        expect(e).toBeInstanceOf(EdgeConfigError);
        return (e as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused({ token: TOKEN })).toMatch(/"internal-dns" \(technitium\): url is required/);
    expect(refused({ url: "ftp://x", token: TOKEN })).toMatch(/url must be an http:\/\/ or https:\/\/ URL/);
    expect(refused({ url: `http://admin:${TOKEN}@dns:5380`, token: TOKEN })).not.toContain(TOKEN);
    expect(refused({ url: BASE, token: "short secret" })).toMatch(/token must be at least 16 characters, .*not shown/);
    expect(refused({ url: BASE, token: "short secret" })).not.toContain("short secret");
    expect(refused({ url: BASE, token: TOKEN, authZone: "elsewhere.test" })).toMatch(/authZone "elsewhere.test" must be the provider's zone play.test or a parent of it/);
    expect(refused({ url: BASE, token: TOKEN, tokn: "x" })).toMatch(/tokn is not a setting of technitium/);
    expect(refused({ url: BASE, token: TOKEN, timeoutMs: 0 })).toMatch(/timeoutMs must be an integer of 1-120000 ms/);
  });
});
