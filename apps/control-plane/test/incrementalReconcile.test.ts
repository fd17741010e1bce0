import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import type { InventoryItem } from "@zlh/protocol";
import { reconcilePass, type PassDeps } from "../src/reconcile/pass";
import { agentHeartbeat, enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * Reconciliation judges a host only when its last verdict may be stale, and
 * writes nothing for what it already knows: a fleet that does not
 * change costs one narrow read per pass.
 */
describe("incremental reconciliation", () => {
  let t: Plane;
  let database: Database;
  let deps: PassDeps;
  let hostId: string;
  let serverId: string;
  let vmid: number;

  const heartbeat = (inventory: InventoryItem[]) => agentHeartbeat(t.sql, hostId, inventory);
  const unmanaged = Array.from({ length: 50 }, (_, i) => ({ vmid: 9000 + i, state: "running" as const, serverId: null }));
  const hostRow = async () => (await t.sql`select xmin::text, reconciled_at, reconcile_settled from hosts where id = ${hostId}`)[0]!;
  const driftVersions = async () => (await t.sql`select id, xmin::text as v from drift_items where host_id = ${hostId} and resolved_at is null order by id`).map((r) => `${r.id}@${r.v}`);

  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 4 });
    deps = { db: database.db, log: pino({ level: "silent" }), leaseTtlMs: 60_000, proxmox: null, schedule: { recheckMs: 300_000, clockMarginMs: 0 } };
    hostId = (await enrollHost(t.api, "incremental")).id;
    const created = (await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "incremental-1" })).body;
    serverId = created.id;
    vmid = created.vmid;
    await t.sql`update servers set status = 'running', desired_state = 'running', status_changed_at = now() - interval '1 minute' where id = ${serverId}`;
  });
  afterAll(() => database.close());

  it("judges a host once for unchanged evidence, and again when its digest, its servers or its recheck say so", async () => {
    await heartbeat([{ vmid, state: "running", serverId }]);
    expect(await reconcilePass(deps)).toMatchObject({ hosts: 1, judged: 1, written: 0 });
    const first = await hostRow();
    expect(first.reconcile_settled).toBe(true);

    // The same inventory, confirmed by later heartbeats: nothing is judged, nothing is written.
    await heartbeat([{ vmid, state: "running", serverId }]);
    const beforeQuiet = (await hostRow()).xmin;
    expect(await reconcilePass(deps)).toMatchObject({ judged: 0, written: 0 });
    expect((await hostRow()).xmin).toBe(beforeQuiet);

    // A server of the host changes status: judged again, but the evidence predates the change, so the
    // server stays unjudged (and the host unsettled) until an inventory taken after it arrives.
    await t.sql`update servers set status_changed_at = now() where id = ${serverId}`;
    expect(await reconcilePass(deps)).toMatchObject({ judged: 1, written: 0 });
    expect((await hostRow()).reconcile_settled).toBe(false);
    await heartbeat([{ vmid, state: "running", serverId }]);
    expect(await reconcilePass(deps)).toMatchObject({ judged: 1, written: 0 });
    expect((await hostRow()).reconcile_settled).toBe(true);
    expect(await reconcilePass(deps)).toMatchObject({ judged: 0 });

    // The periodic recheck.
    await t.sql`update hosts set reconciled_at = now() - interval '10 minutes' where id = ${hostId}`;
    expect(await reconcilePass(deps)).toMatchObject({ judged: 1, written: 0 });
    expect(await reconcilePass(deps)).toMatchObject({ judged: 0 });

    // A forced pass (an agent's reconnect) judges it whatever the verdict.
    expect(await reconcilePass(deps, { hostId, force: true })).toMatchObject({ judged: 1 });
  });

  it("keeps judging a host whose drift awaits a second observation, and acts on it once confirmed", async () => {
    // The container stopped: a new digest, so the host is judged; one observation is not proof.
    await heartbeat([{ vmid, state: "stopped", serverId }]);
    expect(await reconcilePass(deps)).toMatchObject({ judged: 1, written: 1 });
    expect((await hostRow()).reconcile_settled).toBe(false);
    expect((await t.sql`select count(*)::int as n from events where server_id = ${serverId} and type = 'server.self_heal'`)[0]!.n).toBe(0);
    const detected = async () => (await t.sql`select count(*)::int as n from events where server_id = ${serverId} and type = 'drift.detected'`)[0]!.n;
    expect(await detected()).toBe(1);
    // Judged again over the same evidence (unsettled): the drift is reported when opened, not once per pass.
    expect(await reconcilePass(deps, { hostId, force: true })).toMatchObject({ judged: 1 });
    expect(await detected()).toBe(1);

    // The same inventory confirmed by a later heartbeat (same digest): unsettled, so judged again, and now it is persistent.
    await heartbeat([{ vmid, state: "stopped", serverId }]);
    expect(await reconcilePass(deps)).toMatchObject({ judged: 1, written: 1 });
    expect((await t.sql`select count(*)::int as n from events where server_id = ${serverId} and type = 'server.self_heal'`)[0]!.n).toBe(1);
    expect(await detected()).toBe(1);
  });

  it("does not rewrite the drift items it sees again unchanged (fifty unmanaged guests)", async () => {
    await t.sql`update servers set status = 'running', status_changed_at = now() - interval '1 minute', heal_after = null where id = ${serverId}`;
    await t.sql`update operations set status = 'cancelled' where server_id = ${serverId} and status in ('queued', 'leased')`;
    const inventory = [{ vmid, state: "running" as const, serverId }, ...unmanaged];
    await heartbeat(inventory);
    await reconcilePass(deps);
    await heartbeat(inventory);
    await reconcilePass(deps);
    const [{ n }] = await t.sql`select count(*)::int as n from drift_items where host_id = ${hostId} and resolved_at is null and kind = 'unmanaged_container'`;
    expect(n).toBe(50);
    const [{ excluded }] = await t.sql`select count(*)::int as excluded from vmid_pool where host_id = ${hostId} and state = 'excluded'`;
    expect(excluded).toBe(0); // 9000+ is outside this plane's VMID range: nothing to exclude, and nothing breaks

    // Judged again over newer evidence of the same content: the items are confirmed, not rewritten.
    const before = await driftVersions();
    await heartbeat(inventory);
    expect(await reconcilePass(deps, { force: true })).toMatchObject({ judged: 1, written: 1 });
    expect(await driftVersions()).toEqual(before);

    // One guest gone: its item alone is resolved.
    await heartbeat(inventory.slice(0, -1));
    await reconcilePass(deps);
    const after = await driftVersions();
    expect(after).toHaveLength(49);
    expect(after).toEqual(before.filter((v) => after.includes(v)));
  });
});
