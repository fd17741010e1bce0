import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import { setupServer } from "msw/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEdgeProvider } from "../../src/edge/audit";
import type { EdgeNaming } from "../../src/edge/desiredEdge";
import { parseEdgeProviders } from "../../src/edge/edgeProviders";
import { noteEdgeNaming } from "../../src/edge/fingerprint";
import { DEFAULT_NAME_TEMPLATE, parseNameTemplate } from "../../src/edge/naming";
import { edgePass } from "../../src/edge/pass";
import { EDGE_PROVIDER_FACTORIES } from "../../src/edge/providers/registry";
import { seedHost, seedServer } from "../../../../packages/db/test/support/seed";
import { type Bind, startBind } from "./bind";
import { fakeCloudflare } from "./fakes/cloudflare";
import { fakeVelocity } from "./fakes/routeProxies";

const CF = "http://cloudflare.test/client/v4";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const TOKEN = "Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY";
const VELOCITY = "http://velocity.test:8081";
const VSECRET = "correct horse battery staple zpack";
const EDGE = { address: "203.0.113.7", port: 25565 };

/**
 * Internal DNS (a real BIND 9 through RFC 2136), public DNS (Cloudflare, msw from the v4 API's shapes) and a
 * Velocity proxy configured side by side as an operator writes ZLH_EDGE_PROVIDERS: the internal zone answers
 * the server's own address and game port, the public zone the edge's, the proxy routes the public name to the
 * server; and a template change across a restart moves every name at the next pass.
 */
describe("internal DNS, public DNS and a proxy side by side", () => {
  let bind: Bind;
  let database: Database;
  const cf = fakeCloudflare(CF, { [TOKEN]: [ZONE_ID] });
  const velocity = fakeVelocity(VELOCITY, VSECRET);
  const mock = setupServer(...cf.handlers, ...velocity.handlers);
  const log = pino({ level: "silent" });
  const providersWith = (template: string) => {
    const naming: EdgeNaming = { zone: "play.example.com", template: parseNameTemplate(template), edge: EDGE, ttl: 60 };
    const entries = [
      { name: "internal-dns", kind: "rfc2136", zone: bind.zone, target: "server", server: `127.0.0.1:${bind.port}`, keyName: bind.keyName, keySecret: bind.secret },
      { name: "public-dns", kind: "cloudflare", apiToken: TOKEN, zoneId: ZONE_ID, baseUrl: CF },
      { name: "velocity", kind: "velocity", url: VELOCITY, secret: VSECRET },
    ];
    return parseEdgeProviders(JSON.stringify(entries), naming, EDGE_PROVIDER_FACTORIES);
  };
  const cfAt = (name: string) => (cf.records.get(ZONE_ID) ?? []).filter((r) => r.name === name).map((r) => (r.type === "A" ? `A ${r.content}` : `SRV ${r.data!.port} ${r.data!.target}`));

  beforeAll(async () => {
    mock.listen({ onUnhandledRequest: "error" });
    bind = await startBind();
    database = connectDatabase(await testDatabase(), { max: 4 });
    cf.records.set(ZONE_ID, []);
  }, 60_000);
  afterAll(async () => {
    mock.close();
    await database?.close();
    await bind?.stop();
  });

  it("publishes each provider's own answer, verifies them all, and moves every name when the template changes across a restart", async () => {
    const hostId = await seedHost(database.sql, "side-by-side-host");
    const s = await seedServer(database, hostId);
    await database.sql`update servers set address = '10.213.77.20' where id = ${s.id}`;
    const first = providersWith(DEFAULT_NAME_TEMPLATE);
    await noteEdgeNaming(database.db, first);
    expect(await edgePass({ db: database.db, log, providers: first })).toMatchObject({ failed: 0 });

    const internal = `mc-fabric-${s.vmid}.${bind.zone}`;
    const public_ = `mc-fabric-${s.vmid}.play.example.com`;
    expect(await bind.dig(internal, "A")).toEqual(["10.213.77.20"]);
    expect(await bind.dig(`_minecraft._tcp.${internal}`, "SRV")).toEqual([`0 5 ${s.game_port} ${internal}.`]);
    expect(cfAt(public_)).toEqual([`A ${EDGE.address}`]);
    expect(cfAt(`_minecraft._tcp.${public_}`)).toEqual([`SRV ${EDGE.port} ${public_}`]);
    expect(velocity.routes.get(public_)).toEqual({ address: "10.213.77.20", port: s.game_port });
    const rows = await database.sql`select provider, fqdn, applied_fqdn, applied_hash = desired_hash as verified from edge_publications where server_id = ${s.id} order by provider`;
    expect(rows).toEqual([
      { provider: "internal-dns", fqdn: internal, applied_fqdn: internal, verified: true },
      { provider: "public-dns", fqdn: public_, applied_fqdn: public_, verified: true },
      { provider: "velocity", fqdn: public_, applied_fqdn: public_, verified: true },
    ]);
    const [{ reachable }] = await database.sql`select reachable from servers where id = ${s.id}`;
    expect(reachable).toMatchObject({ status: true, reason: "verified" });

    // A restart with the template changed: nothing of the server's row changed, yet the next pass moves the names.
    const second = providersWith("dev-{vmid}");
    expect(await noteEdgeNaming(database.db, second)).toBe(true);
    expect(await edgePass({ db: database.db, log, providers: second })).toMatchObject({ failed: 0 });
    const internal2 = `dev-${s.vmid}.${bind.zone}`;
    const public2 = `dev-${s.vmid}.play.example.com`;
    expect(await bind.dig(internal, "A")).toEqual([]);
    expect(await bind.dig(`_minecraft._tcp.${internal}`, "SRV")).toEqual([]);
    expect(await bind.dig(internal, "TXT")).toEqual([]);
    expect(await bind.dig(internal2, "A")).toEqual(["10.213.77.20"]);
    expect(cfAt(public_)).toEqual([]);
    expect(cfAt(`_minecraft._tcp.${public_}`)).toEqual([]);
    expect(cfAt(public2)).toEqual([`A ${EDGE.address}`]);
    expect([...velocity.routes.keys()]).toEqual([public2]);
    // The same configuration again is no change: nothing is marked.
    expect(await noteEdgeNaming(database.db, providersWith("dev-{vmid}"))).toBe(false);
    expect(await edgePass({ db: database.db, log, providers: second })).toEqual({ dirty: 0, attempted: 0, failed: 0 });

    // Deleted by hand: the incremental pass follows the database and does not see it; one audit run puts it back.
    await bind.nsupdate([`update delete _minecraft._tcp.${internal2}. SRV`]);
    expect(await edgePass({ db: database.db, log, providers: second })).toEqual({ dirty: 0, attempted: 0, failed: 0 });
    expect(await bind.dig(`_minecraft._tcp.${internal2}`, "SRV")).toEqual([]);
    expect(await auditEdgeProvider({ db: database.db, log }, second[0]!)).toEqual({ due: 1, drift: 0, repaired: 1 });
    expect(await bind.dig(`_minecraft._tcp.${internal2}`, "SRV")).toEqual([`0 5 ${s.game_port} ${internal2}.`]);
    velocity.routes.delete(public2);
    expect(await auditEdgeProvider({ db: database.db, log }, second[2]!)).toEqual({ due: 1, drift: 0, repaired: 1 });
    expect(velocity.routes.get(public2)).toEqual({ address: "10.213.77.20", port: s.game_port });
  }, 60_000);
});
