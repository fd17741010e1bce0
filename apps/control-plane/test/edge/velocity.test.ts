import { createHash } from "node:crypto";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EdgeConfigError, NAMED_OWNER } from "../../src/edge/provider";
import { velocityFactory } from "../../src/edge/providers/velocity/provider";
import { fakeVelocity } from "./fakes/routeProxies";
import { edgeOf, naming, rejection, SERVER, signal } from "./providerKit";

const BASE = "http://velocity.test:8081";
const SECRET = "correct horse battery staple zpack";
const fake = fakeVelocity(BASE, SECRET);
const mock = setupServer(...fake.handlers);
const provider = (over: Record<string, unknown> = {}) => velocityFactory.create("velocity", { url: BASE, secret: SECRET, ...over }, naming);

// Only the unreachable case's loopback port goes past msw, to a real refused connection.
beforeAll(() => mock.listen({ onUnhandledRequest: (request, print) => (new URL(request.url).hostname === "127.0.0.1" ? undefined : print.error()) }));
afterAll(() => mock.close());
beforeEach(() => {
  fake.routes.clear();
  fake.hang = false;
});

describe("the Velocity provider against the zpack bridge plugin's API (msw)", () => {
  it("registers a server under its FQDN once however often it is applied, and re-registers a moved one", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5013), signal());
    await p.apply(SERVER, edgeOf(5013), signal());
    expect([...fake.routes]).toEqual([["mc-fabric-5013.play.test", { address: "10.213.77.50", port: 25565 }]]);
    await p.apply(SERVER, edgeOf(5013, "10.213.77.51", 25570), signal());
    expect([...fake.routes]).toEqual([["mc-fabric-5013.play.test", { address: "10.213.77.51", port: 25570 }]]);
    expect(await p.read("mc-fabric-5013.play.test", signal())).toEqual({ fqdn: "mc-fabric-5013.play.test", owner: NAMED_OWNER, records: [], route: { address: "10.213.77.51", port: 25570 } });
  });

  it("never touches a backend outside the naming scheme, and lists it with owner null", async () => {
    const p = provider();
    fake.routes.set("lobby", { address: "10.0.0.2", port: 25566 });
    fake.routes.set("survival.play.test", { address: "10.0.0.3", port: 25565 });
    await p.apply(SERVER, edgeOf(5014), signal());
    // Never published under a name outside the scheme (removals are of names the pass published: edgePass.test.ts).
    expect((await rejection(p.apply(SERVER, { ...edgeOf(5014), fqdn: "survival.play.test" }, signal()))).code).toBe("not_owner");
    expect((await rejection(p.remove(SERVER, "lobby", signal()))).message).toMatch(/lobby is not a name the naming template mc-\{type\}-\{vmid\} makes under play\.test: left alone/);
    expect((await p.list(signal()))?.map((n) => [n.fqdn, n.owner])).toEqual([
      ["lobby", null],
      ["mc-fabric-5014.play.test", NAMED_OWNER],
      ["survival.play.test", null],
    ]);
    expect(fake.routes.size).toBe(3);
  });

  it("unregisters idempotently: the plugin's 404 is absent", async () => {
    const p = provider();
    await p.apply(SERVER, edgeOf(5016), signal());
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("removed");
    expect(await p.remove(SERVER, "mc-fabric-5016.play.test", signal())).toBe("absent");
    expect(await p.read("mc-fabric-5016.play.test", signal())).toBeNull();
  });

  it("a wrong secret is refused as the plugin refuses it (401), a hung plugin times out; neither sentence holds the secret or its hash", async () => {
    const hash = createHash("sha256").update(SECRET).digest("hex");
    const wrong = await rejection(provider({ secret: "not the shared secret at all" }).apply(SERVER, edgeOf(5020), signal()), [SECRET, "not the shared secret at all", hash]);
    expect([wrong.code, wrong.message]).toEqual(["unauthorized", expect.stringMatching(/refused the shared secret \(HTTP 401\)/)]);
    fake.hang = true;
    const hung = await rejection(provider({ timeoutMs: 200 }).list(signal()), [SECRET, hash]);
    expect([hung.code, hung.message]).toEqual(["timeout", expect.stringMatching(/did not answer GET \/zpack\/list within 200 ms/)]);
    expect(fake.routes.size).toBe(0);
  });

  it("an unreachable plugin is unreachable, and bad settings are refused naming the field", async () => {
    const down = await rejection(provider({ url: "http://127.0.0.1:9" }).list(signal()), [SECRET]);
    expect(down.code).toBe("unreachable");
    expect(() => velocityFactory.create("velocity", { url: BASE }, naming)).toThrow(EdgeConfigError);
    expect(() => velocityFactory.create("velocity", { url: BASE, secret: "short" }, naming)).toThrow(/"velocity" \(velocity\): secret must be at least 16 characters/);
  });
});
