import { connectDatabase, type Database } from "@zlh/db";
import { testDatabase } from "@zlh/testing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgePass } from "../../src/edge/pass";
import { auditEdgeProvider } from "../../src/edge/audit";
import { EdgeProviderError, type EdgeProvider, type ObservedName } from "../../src/edge/provider";
import { type Route, routeListProvider } from "../../src/edge/providers/routeList";
import { seedHost, seedServer } from "../../../../packages/db/test/support/seed";
import { naming } from "./providerKit";

/** A provider that holds nothing and records what it was asked to remove. */
function emptyProvider(name: string): EdgeProvider & { removed: string[] } {
  const removed: string[] = [];
  return {
    name,
    kind: "test",
    naming,
    publishes: "records",
    removed,
    apply: async () => {},
    remove: async (_id, fqdn) => {
      removed.push(fqdn);
      return "absent";
    },
    read: async () => null,
    list: async () => [],
  };
}

describe("the edge pass", () => {
  let database: Database;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 2 });
  });
  afterAll(() => database.close());

  it("never lists the due rows of a provider no longer configured's due rows (they would fill the batch) and a delete does not wait for them", async () => {
    const hostId = await seedHost(database.sql, "edge-pass-host");
    const s = await seedServer(database, hostId, { status: "deleting", desiredState: "deleted" });
    await database.sql`update servers set edge_hold_until = now() + interval '1 hour', edge_dirty_at = null where id = ${s.id}`;
    for (const provider of ["removed-dns", "internal-dns"]) {
      await database.sql`insert into edge_publications (server_id, provider, fqdn, desired_hash, applied_hash, next_attempt_at)
        values (${s.id}, ${provider}, ${`mc-fabric-${s.vmid}.play.test`}, null, 'abc', now() - interval '1 minute')`;
    }
    const configured = emptyProvider("internal-dns");
    const result = await edgePass({ db: database.db, log: pino({ level: "silent" }), providers: [configured] });
    expect(result).toMatchObject({ attempted: 1, failed: 0 });
    expect(configured.removed).toEqual([`mc-fabric-${s.vmid}.play.test`]);
    const [held] = await database.sql`select edge_hold_until from servers where id = ${s.id}`;
    expect(held!.edge_hold_until).toBeNull();
    const types = (await database.sql`select type from events where server_id = ${s.id}`).map((e) => e.type);
    expect(types).toContain("server.edge_removed");
    // The removed provider's row is left as it was, for that provider's return.
    const [left] = await database.sql`select applied_hash, next_attempt_at from edge_publications where server_id = ${s.id} and provider = 'removed-dns'`;
    expect(left).toMatchObject({ applied_hash: "abc" });
    expect(left!.next_attempt_at).not.toBeNull();
  });

  it("counts a removal of a name someone else now holds (not_owner from remove) as removed, instead of retrying it forever", async () => {
    const hostId = await seedHost(database.sql, "edge-pass-owner-host");
    const s = await seedServer(database, hostId, { status: "deleted", desiredState: "deleted" });
    await database.sql`update servers set edge_dirty_at = null where id = ${s.id}`;
    const fqdn = `mc-fabric-${s.vmid}.play.test`;
    await database.sql`insert into edge_publications (server_id, provider, fqdn, desired_hash, applied_hash, next_attempt_at)
      values (${s.id}, 'internal-dns', ${fqdn}, null, 'abc', now() - interval '1 minute')`;
    const provider: EdgeProvider = {
      ...emptyProvider("internal-dns"),
      remove: async () => {
        throw new EdgeProviderError("not_owner", `internal-dns: ${fqdn} is held by someone else: left alone.`);
      },
      read: async () => ({ fqdn, owner: "someone-else", records: [], route: null }),
    };
    expect(await edgePass({ db: database.db, log: pino({ level: "silent" }), providers: [provider] })).toMatchObject({ attempted: 1, failed: 0 });
    expect(await database.sql`select * from edge_publications where server_id = ${s.id}`).toEqual([]);
  });

  it("lets a delete whose grace is over go on before any provider call of the pass", async () => {
    const hostId = await seedHost(database.sql, "edge-pass-grace-host");
    const s = await seedServer(database, hostId, { status: "deleting", desiredState: "deleted" });
    await database.sql`update servers set edge_hold_until = now() - interval '1 second', edge_dirty_at = now() where id = ${s.id}`;
    await database.sql`insert into edge_publications (server_id, provider, fqdn, desired_hash, applied_hash, next_attempt_at)
      values (${s.id}, 'internal-dns', ${`mc-fabric-${s.vmid}.play.test`}, null, 'abc', now() - interval '1 minute')`;
    const holdsSeen: unknown[] = [];
    const provider: EdgeProvider = {
      ...emptyProvider("internal-dns"),
      remove: async () => {
        holdsSeen.push((await database.sql`select edge_hold_until from servers where id = ${s.id}`)[0]!.edge_hold_until);
        throw new EdgeProviderError("unreachable", "internal-dns: blackholed.");
      },
    };
    expect(await edgePass({ db: database.db, log: pino({ level: "silent" }), providers: [provider] })).toMatchObject({ attempted: 1, failed: 1 });
    expect(holdsSeen).toEqual([null]);
    const types = (await database.sql`select type from events where server_id = ${s.id}`).map((e) => e.type);
    expect(types).toContain("server.edge_removal_overdue");
  });

  it("never lets a deleted server's overdue removal take the route a live server with its reused VMID now wants (route lists own by name)", async () => {
    const oldHost = await seedHost(database.sql, "edge-pass-reuse-old");
    const newHost = await seedHost(database.sql, "edge-pass-reuse-new");
    const gone = await seedServer(database, oldHost, { status: "deleted", desiredState: "deleted" });
    const live = await seedServer(database, newHost);
    const reuse = await seedServer(database, newHost);
    await database.sql`update servers set vmid = ${gone.vmid}, address = '10.0.0.21' where id = ${live.id}`;
    const routes = new Map<string, Route>();
    const proxy = routeListProvider(
      "velocity",
      "velocity",
      {
        label: "velocity provider \"velocity\"",
        replaces: false,
        list: async () => [...routes.values()],
        put: async (r) => void routes.set(r.fqdn, r),
        delete: async (fqdn) => (routes.delete(fqdn) ? "removed" : "absent"),
      },
      naming,
    );
    const deps = { db: database.db, log: pino({ level: "silent" }), providers: [proxy] };
    const name = `mc-fabric-${gone.vmid}.play.test`;
    // The live server is published first; the deleted one's removal failed earlier and comes due again now.
    await database.sql`update servers set edge_dirty_at = null where id in ${database.sql([gone.id, reuse.id])}`;
    await edgePass(deps);
    expect(routes.get(name)).toMatchObject({ address: "10.0.0.21", port: live.game_port });
    await database.sql`insert into edge_publications (server_id, provider, fqdn, desired_hash, applied_hash, applied_fqdn, attempts, next_attempt_at)
      values (${gone.id}, 'velocity', ${name}, null, 'old', ${name}, 3, now() - interval '1 second')`;
    expect(await edgePass(deps)).toMatchObject({ attempted: 1, failed: 0 });
    expect(routes.get(name)).toMatchObject({ address: "10.0.0.21", port: live.game_port });
    expect(await database.sql`select * from edge_publications where server_id = ${gone.id}`).toEqual([]);

    // The same in one pass: the deleted server's removal and the reused VMID's first publish due together.
    await database.sql`update servers set vmid = ${gone.vmid} + 100000, address = null where id = ${live.id}`;
    await edgePass(deps);
    expect(routes.size).toBe(0);
    const again = `mc-fabric-${gone.vmid + 200000}.play.test`;
    routes.set(again, { fqdn: again, address: "10.0.0.99", port: 25565 });
    await database.sql`insert into edge_publications (server_id, provider, fqdn, desired_hash, applied_hash, applied_fqdn, next_attempt_at)
      values (${gone.id}, 'velocity', ${again}, null, 'old', ${again}, now() - interval '1 second')`;
    await database.sql`update servers set vmid = ${gone.vmid} + 200000, address = '10.0.0.22' where id = ${reuse.id}`;
    expect(await edgePass(deps)).toMatchObject({ failed: 0 });
    expect(routes.get(again)).toMatchObject({ address: "10.0.0.22", port: reuse.game_port });
  });

  it("audits a provider holding two leftovers of one server, beside its missing wanted name, without failing, and the passes clear them", async () => {
    const hostId = await seedHost(database.sql, "edge-audit-twice-host");
    const s = await seedServer(database, hostId);
    await database.sql`update servers set address = '10.0.0.31' where id = ${s.id}`;
    const held = new Map<string, ObservedName>();
    const provider: EdgeProvider = {
      ...emptyProvider("internal-dns"),
      apply: async (id, d) => void held.set(d.fqdn, { fqdn: d.fqdn, owner: id, records: d.records, route: null }),
      remove: async (_id, fqdn) => (held.delete(fqdn) ? "removed" : "absent"),
      read: async (fqdn) => held.get(fqdn) ?? null,
      list: async () => [...held.values()],
    };
    const log = pino({ level: "silent" });
    await edgePass({ db: database.db, log, providers: [provider] });
    // Two names marked as the server's it should not hold (made under templates since changed), and its own deleted by hand.
    held.clear();
    for (const fqdn of [`old-a-${s.vmid}.play.test`, `old-b-${s.vmid}.play.test`]) held.set(fqdn, { fqdn, owner: s.id, records: [], route: null });
    expect(await auditEdgeProvider({ db: database.db, log }, provider)).toMatchObject({ due: 1, repaired: 1 });
    expect(await auditEdgeProvider({ db: database.db, log }, provider)).toMatchObject({ due: 1, repaired: 1 });
    expect([...held.keys()]).toEqual([`mc-fabric-${s.vmid}.play.test`]);
    expect(await auditEdgeProvider({ db: database.db, log }, provider)).toMatchObject({ due: 0 });
  });
});
