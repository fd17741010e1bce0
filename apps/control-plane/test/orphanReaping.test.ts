import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import { reconcileAllTask } from "../src/jobs/handlers/reconcile";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/**
 * Regression: the destroy of an orphan (a container carrying the marker of a
 * deleted server) was queued on the deleted server's original host, not where
 * the orphan was seen; it "succeeded" there (nothing to destroy), the orphan
 * stayed, and a new generation was bumped every two passes, forever.
 */
describe("orphan reaping", () => {
  let t: Plane;
  let database: Database;
  let pass: () => Promise<void>;
  beforeAll(async () => {
    t = await startTestPlane({}, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 2 });
    const task = reconcileAllTask({ db: database.db, log: pino({ level: "silent" }), leaseTtlMs: 60_000, intervalMs: 60_000, proxmox: null, schedule: { recheckMs: 300_000, clockMarginMs: 10_000 } });
    pass = () => task({}, undefined as never) as Promise<void>;
  });
  afterAll(() => database.close());

  it("destroys the orphan on the host where it was seen, once, and not again after that destroy failed", async () => {
    const home = await enrollHost(t.api, "home");
    const server = (await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "orphan-1" })).body;
    expect(server.hostId).toBe(home.id);
    await t.sql`update servers set status = 'deleted', desired_state = 'deleted' where id = ${server.id}`;
    const elsewhere = await enrollHost(t.api, "elsewhere");
    // The other host's agent reports a container with the deleted server's marker (a half-finished move, a restore by hand).
    const observe = () => t.sql`update hosts set session_id = coalesce(session_id, gen_random_uuid()), last_heartbeat_at = now(),
      inventory = ${t.sql.json([{ vmid: 5900, state: "running", serverId: server.id }])}, inventory_at = clock_timestamp() where id = ${elsewhere.id}`;
    const reaps = () => t.sql`select host_id, vmid, status, generation from operations where server_id = ${server.id} and kind = 'destroy'`;

    for (let i = 0; i < 5; i++) {
      await observe();
      await pass();
    }
    const [reap, ...more] = await reaps();
    expect(more).toEqual([]);
    expect(reap).toMatchObject({ host_id: elsewhere.id, vmid: 5900, status: "queued" });

    // That destroy failed for good (say the marker turned out to be someone else's): reported, never retried in a loop.
    await t.sql`update operations set status = 'failed', error = 'vmid_conflict: not ours' where server_id = ${server.id}`;
    const [{ generation }] = await t.sql`select generation from servers where id = ${server.id}`;
    for (let i = 0; i < 4; i++) {
      await observe();
      await pass();
    }
    expect(await reaps()).toHaveLength(1);
    expect((await t.sql`select generation from servers where id = ${server.id}`)[0].generation).toBe(generation);
    const drift = (await t.api("GET", "/v1/drift")).body.items as { kind: string; vmid: number; hostId: string }[];
    expect(drift).toEqual([expect.objectContaining({ kind: "orphan_container", vmid: 5900, hostId: elsewhere.id })]);
  });
});
