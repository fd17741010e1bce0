import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredEdge, type EdgeNaming } from "../../src/edge/desiredEdge";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { EdgeConfigError, EdgeProviderError, type EdgeProvider } from "../../src/edge/provider";
import { rfc2136Factory } from "../../src/edge/providers/rfc2136/edgeProvider";
import { type Bind, startBind } from "./bind";

const A = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91";
const B = "0a0b0c0d-1111-4222-8333-444455556666";
const naming: EdgeNaming = { zone: "play.test", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
const edgeOf = (id: string, vmid: number) => desiredEdge({ id, vmid, type: "fabric", address: `10.1.0.${vmid % 250}`, gamePort: 25565 }, naming);

let bind: Bind;
let provider: EdgeProvider;
const signal = () => AbortSignal.timeout(10_000);

beforeAll(async () => {
  bind = await startBind();
  provider = rfc2136Factory.create("internal-dns", { server: `127.0.0.1:${bind.port}`, keyName: bind.keyName, keySecret: bind.secret }, naming);
}, 30_000);
afterAll(async () => {
  await bind?.stop();
});

describe("the RFC 2136 edge provider's listing (AXFR signed with TSIG) against a real BIND 9", () => {
  it("lists every name of the zone with its owner and records, ours and not ours", async () => {
    await provider.apply(A, edgeOf(A, 5101), signal());
    await provider.apply(B, edgeOf(B, 5102), signal());
    await bind.nsupdate(["update add mc-fabric-5999.play.test. 60 A 192.0.2.9"]);
    const listed = await provider.list(signal());
    const byName = new Map(listed!.map((o) => [o.fqdn, o]));
    expect(byName.get("mc-fabric-5101.play.test")).toEqual({ fqdn: "mc-fabric-5101.play.test", owner: A, records: expect.arrayContaining(edgeOf(A, 5101).records), route: null });
    expect(byName.get("mc-fabric-5101.play.test")!.records).toHaveLength(2);
    expect(byName.get("mc-fabric-5102.play.test")?.owner).toBe(B);
    expect(byName.get("mc-fabric-5999.play.test")).toEqual({ fqdn: "mc-fabric-5999.play.test", owner: null, records: [{ type: "A", name: "mc-fabric-5999.play.test", ttl: 60, address: "192.0.2.9" }], route: null });
    // The zone's own name server is listed too (unowned): the audit reports only names in the naming scheme.
    expect(byName.get("ns.play.test")?.owner).toBeNull();
  });

  it("lists a zone that takes several messages to transfer, each verified", async () => {
    const names = Array.from({ length: 400 }, (_, i) => `update add bulk-${i}.play.test. 60 TXT "${"x".repeat(200)}"`);
    for (let i = 0; i < names.length; i += 100) await bind.nsupdate(names.slice(i, i + 100));
    const listed = await provider.list(signal());
    expect(listed!.filter((o) => o.fqdn.startsWith("bulk-"))).toHaveLength(400);
  });

  it("reads back a name, and null for a name that holds nothing", async () => {
    expect(await provider.read("mc-fabric-5101.play.test", signal())).toMatchObject({ owner: A });
    expect(await provider.read("mc-fabric-5300.play.test", signal())).toBeNull();
    expect(await provider.remove(A, "mc-fabric-5101.play.test", signal())).toBe("removed");
    expect(await provider.read("mc-fabric-5101.play.test", signal())).toBeNull();
  });

  it("fails a listing with a key the server does not allow to transfer as an EdgeProviderError naming the key, never its secret", async () => {
    const other = rfc2136Factory.create("other", { server: `127.0.0.1:${bind.port}`, keyName: bind.otherKey.name, keySecret: bind.otherKey.secret }, naming);
    const err = await other.list(signal()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EdgeProviderError);
    expect((err as EdgeProviderError).code).toBe("refused");
    expect((err as Error).message).not.toContain(bind.otherKey.secret);
  });

  it("refuses bad settings at creation with a sentence naming the provider, never the secret", () => {
    const secret = "bm90LWEtZ29vZC1zZWNyZXQ"; // not padded base64
    for (const [settings, says] of [
      [{ server: "127.0.0.1:53", keyName: "k", keySecret: secret }, /edge provider p: key secret is not base64/],
      [{ server: "not a server", keyName: "k", keySecret: Buffer.alloc(32).toString("base64") }, /edge provider p: server/],
      [{ keyName: "k", keySecret: Buffer.alloc(32).toString("base64") }, /server is required/],
      [{ server: "127.0.0.1", keyName: "k", keySecret: Buffer.alloc(32).toString("base64"), authZone: "nozone" }, /authZone "nozone"/],
      [{ server: "127.0.0.1", keyName: "k", keySecret: Buffer.alloc(32).toString("base64"), extra: 1 }, /unknown setting extra/],
    ] as const) {
      let err: unknown;
      try {
        rfc2136Factory.create("p", settings, naming);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EdgeConfigError);
      expect((err as Error).message).toMatch(says);
      expect((err as Error).message).not.toContain(secret);
    }
  });
});
