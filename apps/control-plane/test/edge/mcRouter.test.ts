import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { NAMED_OWNER } from "../../src/edge/provider";
import { mcRouterFactory } from "../../src/edge/providers/mcRouter/provider";
import { fakeMcRouter } from "./fakes/routeProxies";
import { edgeOf, naming, rejection, SERVER, signal } from "./providerKit";

const BASE = "http://mc-router.test:8080";
const fake = fakeMcRouter(BASE);
const mock = setupServer(...fake.handlers);
const provider = (over: Record<string, unknown> = {}) => mcRouterFactory.create("mc-router", { url: BASE, ...over }, naming);

// Only the unreachable case's loopback port goes past msw, to a real refused connection.
beforeAll(() => mock.listen({ onUnhandledRequest: (request, print) => (new URL(request.url).hostname === "127.0.0.1" ? undefined : print.error()) }));
afterAll(() => mock.close());
beforeEach(() => {
  fake.routes.clear();
  fake.hang = false;
  fake.legacy = false;
});

describe("the mc-router provider against its REST API (msw, from server/api_server.go)", () => {
  it("creates one route however often it is applied, and replaces a moved server's in place", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5013), signal());
    await p.apply(SERVER, edgeOf(5013), signal());
    expect([...fake.routes]).toEqual([["mc-fabric-5013.play.test", { address: "10.213.77.50", port: 25565 }]]);
    await p.apply(SERVER, edgeOf(5013, "10.213.77.51", 25570), signal());
    expect((await p.read("MC-FABRIC-5013.play.test.", signal()))?.route).toEqual({ address: "10.213.77.51", port: 25570 });
  });

  it("never touches a route outside the naming scheme, and lists it with owner null", async () => {
    const p = provider();
    fake.routes.set("vanilla.example.com", { address: "10.0.0.9", port: 25565 });
    await p.apply(SERVER, edgeOf(5014), signal());
    expect((await rejection(p.apply(SERVER, { ...edgeOf(5014), fqdn: "vanilla.example.com" }, signal()))).code).toBe("not_owner");
    expect((await rejection(p.remove(SERVER, "vanilla", signal()))).code).toBe("not_owner");
    expect(await p.list(signal())).toEqual([
      { fqdn: "mc-fabric-5014.play.test", owner: NAMED_OWNER, records: [], route: { address: "10.213.77.50", port: 25565 } },
      { fqdn: "vanilla.example.com", owner: null, records: [], route: { address: "10.0.0.9", port: 25565 } },
    ]);
    expect(fake.routes.get("vanilla.example.com")).toEqual({ address: "10.0.0.9", port: 25565 });
  });

  it("reads the routes of an mc-router before v1.42.0, whose GET /routes maps each address to a backend string", async () => {
    fake.legacy = true;
    const p = provider();
    fake.routes.set("vanilla.example.com", { address: "10.0.0.9", port: 25565 });
    await p.apply(SERVER, edgeOf(5015), signal());
    await p.apply(SERVER, edgeOf(5015), signal());
    expect(await p.list(signal())).toEqual([
      { fqdn: "mc-fabric-5015.play.test", owner: NAMED_OWNER, records: [], route: { address: "10.213.77.50", port: 25565 } },
      { fqdn: "vanilla.example.com", owner: null, records: [], route: { address: "10.0.0.9", port: 25565 } },
    ]);
  });

  it("removes idempotently (mc-router's 404 is absent), and a server without an address gets no route", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5016), signal());
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("removed");
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("absent");
    await p.apply(SERVER, edgeOf(5017), signal());
    await p.apply(SERVER, { ...edgeOf(5017), records: [], route: null }, signal());
    expect(fake.routes.size).toBe(0);
  });

  it("a hung router times out, an unreachable one is unreachable, a call the caller gave up on is aborted, each a sentence naming it", async () => {
    fake.hang = true;
    const hung = await rejection(provider({ timeoutMs: 200 }).apply(SERVER, edgeOf(5020), signal()));
    expect([hung.code, hung.message]).toEqual(["timeout", 'mc-router provider "mc-router" at http://mc-router.test:8080 did not answer GET /routes within 200 ms.']);
    const down = await rejection(provider({ url: "http://127.0.0.1:9" }).list(signal()));
    expect(down.code).toBe("unreachable");
    const gaveUp = new AbortController();
    gaveUp.abort();
    const aborted = await rejection(provider().apply(SERVER, edgeOf(5020), gaveUp.signal));
    expect([aborted.code, aborted.message]).toEqual(["aborted", expect.stringMatching(/was not answered: the caller gave up \(GET \/routes\)/)]);
    expect(() => mcRouterFactory.create("mc-router", { url: BASE, secret: "x" }, naming)).toThrow(/secret is not a setting of mc-router/);
  });
});
