import { connect, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredEdge, type EdgeNaming } from "../../src/edge/desiredEdge";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { queryRecords } from "../../src/edge/providers/rfc2136/client";
import { Rfc2136Error } from "../../src/edge/providers/rfc2136/errors";
import { type Rfc2136Config, Rfc2136ConfigError, rfc2136Provider } from "../../src/edge/providers/rfc2136/provider";
import { type Bind, startBind } from "./bind";

const SERVER = "5e1f5a5e-0d2b-4c53-8a4e-2f0d3c1b7a91";
const OTHER = "0a0b0c0d-1111-4222-8333-444455556666";
const naming: EdgeNaming = { zone: "play.test", template: parseNameTemplate(DEFAULT_NAME_TEMPLATE), edge: null, ttl: 60 };
const edgeOf = (vmid: number, address = "10.213.77.50", gamePort = 25565) => desiredEdge({ id: SERVER, vmid, type: "fabric", address, gamePort }, naming);

let bind: Bind;
const servers: Server[] = [];
const config = (over: Partial<Rfc2136Config> = {}): Rfc2136Config => ({ server: `127.0.0.1:${bind.port}`, zone: bind.zone, keyName: bind.keyName, keyAlgorithm: "hmac-sha256", keySecret: bind.secret, ...over });
const rejection = async (p: Promise<unknown>): Promise<Rfc2136Error> => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Rfc2136Error);
  return e as Rfc2136Error;
};
const listen = (onConnection: Parameters<typeof createServer>[1]) =>
  new Promise<number>((resolve) => {
    const srv = createServer(onConnection);
    servers.push(srv);
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as { port: number }).port));
  });

beforeAll(async () => {
  bind = await startBind();
}, 30_000);

afterAll(async () => {
  for (const s of servers) s.close();
  await bind?.stop();
});

describe("the RFC 2136 provider against a real BIND 9", () => {
  it("publishes a server's A and SRV records, answered by BIND to its own lookup and to dig", async () => {
    const provider = rfc2136Provider(config());
    const edge = edgeOf(5013);
    await provider.apply(SERVER, edge);
    expect(await bind.dig("mc-fabric-5013.play.test", "A")).toEqual(["10.213.77.50"]);
    expect(await bind.dig("_minecraft._tcp.mc-fabric-5013.play.test", "SRV")).toEqual(["0 5 25565 mc-fabric-5013.play.test."]);
    expect(await bind.dig("mc-fabric-5013.play.test", "TXT")).toEqual([`"zlh-owner=${SERVER}"`]);
    // An unsigned lookup, as a player's resolver would make it.
    const plain = { host: "127.0.0.1", port: bind.port, key: null, timeoutMs: 5000 };
    expect(await queryRecords(plain, "_minecraft._tcp.mc-fabric-5013.play.test", "SRV")).toEqual([{ type: "SRV", name: "_minecraft._tcp.mc-fabric-5013.play.test", ttl: 60, priority: 0, weight: 5, port: 25565, target: "mc-fabric-5013.play.test" }]);
    expect(await provider.read(edge.fqdn)).toEqual({ owner: SERVER, records: edge.records });
  });

  it("is idempotent: applying the same records again leaves the zone as it was, serial included", async () => {
    const provider = rfc2136Provider(config());
    await provider.apply(SERVER, edgeOf(5014));
    const before = await bind.axfr();
    await provider.apply(SERVER, edgeOf(5014));
    expect(before).toContain("mc-fabric-5014.play.test. 60 IN A 10.213.77.50");
    expect(await bind.axfr()).toEqual(before);
    // A changed address or port replaces the RRsets: one record each, never two.
    await provider.apply(SERVER, edgeOf(5014, "10.213.77.51", 25570));
    expect(await bind.dig("mc-fabric-5014.play.test", "A")).toEqual(["10.213.77.51"]);
    expect(await bind.dig("_minecraft._tcp.mc-fabric-5014.play.test", "SRV")).toEqual(["0 5 25570 mc-fabric-5014.play.test."]);
  });

  it("puts back a record deleted by hand with nsupdate on the next apply", async () => {
    const provider = rfc2136Provider(config());
    const edge = edgeOf(5015);
    await provider.apply(SERVER, edge);
    await bind.nsupdate(["update delete mc-fabric-5015.play.test. A", "update delete _minecraft._tcp.mc-fabric-5015.play.test. SRV"]);
    expect(await bind.dig("mc-fabric-5015.play.test", "A")).toEqual([]);
    expect((await provider.read(edge.fqdn)).records).toEqual([]);
    await provider.apply(SERVER, edge);
    expect(await bind.dig("mc-fabric-5015.play.test", "A")).toEqual(["10.213.77.50"]);
    expect((await provider.read(edge.fqdn)).records).toEqual(edge.records);
  });

  it("removes everything of the name, and says so when there was nothing left", async () => {
    const provider = rfc2136Provider(config());
    const edge = edgeOf(5016);
    await provider.apply(SERVER, edge);
    expect(await provider.remove(SERVER, edge.fqdn)).toBe("removed");
    for (const [name, type] of [["mc-fabric-5016.play.test", "A"], ["mc-fabric-5016.play.test", "TXT"], ["_minecraft._tcp.mc-fabric-5016.play.test", "SRV"]] as const) {
      expect(await bind.dig(name, type), `${name} ${type}`).toEqual([]);
    }
    expect(await provider.read(edge.fqdn)).toEqual({ owner: null, records: [] });
    expect(await provider.remove(SERVER, edge.fqdn)).toBe("absent");
  });

  it("never touches a name it does not own: made by hand, or marked as another server's", async () => {
    const provider = rfc2136Provider(config());
    await bind.nsupdate(["update add mc-fabric-5017.play.test. 300 A 192.0.2.17"]);
    const byHand = edgeOf(5017);
    const e = await rejection(provider.apply(SERVER, byHand));
    expect(e.code).toBe("not_owner");
    expect(e.message).toMatch(/mc-fabric-5017\.play\.test .*left alone/);
    expect((await rejection(provider.remove(SERVER, byHand.fqdn))).code).toBe("not_owner");
    expect(await bind.dig("mc-fabric-5017.play.test", "A")).toEqual(["192.0.2.17"]);
    expect(await bind.dig("mc-fabric-5017.play.test", "TXT")).toEqual([]);

    const theirs = edgeOf(5018);
    await provider.apply(OTHER, theirs);
    const before = await bind.axfr();
    expect((await rejection(provider.apply(SERVER, theirs))).code).toBe("not_owner");
    expect((await rejection(provider.remove(SERVER, theirs.fqdn))).code).toBe("not_owner");
    expect(await bind.axfr()).toEqual(before);
    expect((await provider.read(theirs.fqdn)).owner).toBe(OTHER);
  });

  it("refuses with a clear error, never quoting the secret: a wrong secret, an unknown key, a key without the right, a zone not served", async () => {
    const before = await bind.axfr();
    const wrongSecret = Buffer.alloc(32, 7).toString("base64");
    for (const [over, code, says] of [
      [{ keySecret: wrongSecret }, "badsig", /BADSIG.*secret differs/],
      [{ keyName: "nobody" }, "badkey", /does not know TSIG key nobody \(BADKEY\)/],
      [{ keyName: bind.otherKey.name, keySecret: bind.otherKey.secret }, "refused", /REFUSED.*other-key is not allowed/],
      [{ zone: "elsewhere.test" }, "notauth", /not authoritative for zone elsewhere\.test \(NOTAUTH\)/],
    ] as const) {
      const provider = rfc2136Provider(config(over));
      const fqdn = `mc-fabric-5019.${over.zone ?? bind.zone}`;
      const e = await rejection(provider.apply(SERVER, { fqdn, records: [{ type: "A", name: fqdn, ttl: 60, address: "10.0.0.1" }] }));
      expect(e.code, JSON.stringify(over)).toBe(code);
      expect(e.message).toMatch(says);
      for (const secret of [bind.secret, wrongSecret, bind.otherKey.secret]) expect(e.message).not.toContain(secret);
    }
    expect(await bind.axfr()).toEqual(before);
  });

  it("trusts no reply whose signature does not verify: one changed on the way", async () => {
    // A relay that sets the RA bit of every reply: harmless to read, but not what BIND signed.
    const tamper = await listen((client) => {
      const upstream = connect({ host: "127.0.0.1", port: bind.port });
      let first = true;
      client.on("data", (d) => upstream.write(d));
      upstream.on("data", (d: Buffer) => {
        if (first && d.length > 5) d[5]! |= 0x80;
        first = false;
        client.write(d);
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
      upstream.on("error", () => client.destroy());
    });
    const e = await rejection(rfc2136Provider(config({ server: `127.0.0.1:${tamper}` })).read("mc-fabric-5013.play.test"));
    expect(e.message).toMatch(/signature does not verify/);
  });

  it("calls a reply of garbage a protocol error, and one cut short unreachable", async () => {
    const garbage = await listen((c) => c.once("data", () => c.end(Buffer.from([0, 14, 0x12, 0x34, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff]))));
    const e = await rejection(rfc2136Provider(config({ server: `127.0.0.1:${garbage}` })).read("mc-fabric-5013.play.test"));
    expect(e.code).toBe("protocol");
    expect(e.message).toMatch(/malformed/);
    const short = await listen((c) => c.once("data", () => c.end(Buffer.from([0x01, 0x00, 0x12]))));
    expect((await rejection(rfc2136Provider(config({ server: `127.0.0.1:${short}` })).read("mc-fabric-5013.play.test"))).message).toMatch(/closed the connection without a full answer/);
  });

  it("gives up at its deadline on a server that never answers", async () => {
    const silent = await listen(() => {});
    const started = Date.now();
    const e = await rejection(rfc2136Provider(config({ server: `127.0.0.1:${silent}`, timeoutMs: 300 })).apply(SERVER, edgeOf(5020)));
    expect(e.code).toBe("timeout");
    expect(e.message).toBe(`no answer from 127.0.0.1:${silent} within 300 ms.`);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("the RFC 2136 provider's configuration and input", () => {
  it("refuses a bad configuration with a sentence naming the field, and never the secret", () => {
    const good = { server: "127.0.0.1:53", zone: "play.test", keyName: "zlh-edge", keyAlgorithm: "hmac-sha256", keySecret: Buffer.alloc(32, 1).toString("base64") };
    for (const [over, says] of [
      [{ server: "127.0.0.1:99999" }, /server "127.0.0.1:99999" is not host:port/],
      [{ server: "" }, /is not host:port/],
      [{ zone: "test" }, /zone "test" must be a DNS zone/],
      [{ keyName: "bad key" }, /key name "bad key" is not a DNS name/],
      [{ keyAlgorithm: "hmac-md5" }, /"hmac-md5" is not supported; use hmac-sha256/],
      [{ keySecret: "not base64!secret" }, /key secret is not base64/],
      [{ keySecret: "c2hvcnQ=" }, /key secret is 5 bytes; use at least 16/],
      [{ timeoutMs: 0 }, /timeout must be/],
    ] as const) {
      let err: unknown;
      try {
        rfc2136Provider({ ...good, ...over });
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(over)).toBeInstanceOf(Rfc2136ConfigError);
      expect((err as Error).message).toMatch(says);
      if ("keySecret" in over) expect((err as Error).message).not.toContain(over.keySecret);
    }
    expect(() => rfc2136Provider({ ...good, server: "[::1]:5353" })).not.toThrow();
    expect(() => rfc2136Provider({ ...good, server: "ns1.example.com" })).not.toThrow();
  });

  it("refuses records outside the server's name or zone before sending anything", async () => {
    // Port 9 on loopback: nothing listens, so a request that were sent would fail as unreachable, not as refused input.
    const provider = rfc2136Provider({ server: "127.0.0.1:9", zone: "play.test", keyName: "zlh-edge", keyAlgorithm: "hmac-sha256", keySecret: Buffer.alloc(32, 1).toString("base64") });
    const fqdn = "mc-fabric-1.play.test";
    expect((await rejection(provider.apply(SERVER, { fqdn: "mc-fabric-1.other.test", records: [] }))).code).toBe("notzone");
    expect((await rejection(provider.apply(SERVER, { fqdn, records: [{ type: "A", name: "www.play.test", ttl: 60, address: "10.0.0.1" }] }))).code).toBe("notzone");
    expect((await rejection(provider.apply(SERVER, { fqdn, records: [{ type: "A", name: fqdn, ttl: 60, address: "10.0.0.256" }] }))).message).toMatch(/not an IPv4 address/);
    expect((await rejection(provider.apply("x y", { fqdn, records: [] }))).message).toMatch(/server id/);
    expect((await rejection(provider.apply(SERVER, { fqdn, records: [] }))).code).toBe("unreachable");
  });
});
