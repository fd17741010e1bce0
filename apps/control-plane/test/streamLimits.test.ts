import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, openLogStream, sweepLogReads, type Database } from "@zlh/db";
import type { InventoryItem } from "@zlh/protocol";
import { reconcilePass, type PassDeps } from "../src/reconcile/pass";
import { agentHeartbeat, enrollHost, serverBody, startTestPlane, ADMIN_TOKEN } from "./harness";
import { endReason, openStream, type OpenStream } from "./sseClient";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

/** What an open console must never do (hide a crash), and the bounds every stream has without an agent. */
describe("stream limits", () => {
  let t: Plane;
  let database: Database;
  let deps: PassDeps;
  let hostId: string;
  let serverId: string;
  let vmid: number;
  const streams: OpenStream[] = [];
  const caps = { perClient: 10, perServer: 10, staleAfterMs: 30_000 };
  const heartbeat = (inventory: InventoryItem[]) => agentHeartbeat(t.sql, hostId, inventory);

  beforeAll(async () => {
    t = await startTestPlane({ ZLH_EVENT_STREAMS_PER_CLIENT: "2", ZLH_STREAM_MAX_DURATION_MS: "1500", ZLH_EVENT_STREAM_POLL_MS: "50" }, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 4 });
    deps = { db: database.db, log: pino({ level: "silent" }), leaseTtlMs: 60_000, proxmox: null, schedule: { recheckMs: 300_000, clockMarginMs: 0 } };
    hostId = (await enrollHost(t.api, "limits")).id;
    const created = (await t.api("POST", "/v1/servers", serverBody(1), { "idempotency-key": "limits-1" })).body;
    serverId = created.id;
    vmid = created.vmid;
    await t.sql`update servers set status = 'running', desired_state = 'running', status_changed_at = now() - interval '1 minute' where id = ${serverId}`;
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await database?.close();
  });

  it("judges a crashed server crashed while its console log is open", async () => {
    // An open stream waiting for its next read: its row is queued.
    const opened = await database.db.transaction((tx) => openLogStream(tx, serverId, crypto.randomUUID(), "panel", { tail: 10 }, caps));
    expect(opened).toHaveProperty("opId");
    for (let i = 0; i < 2; i++) {
      // The container is seen stopped twice (one observation is not proof).
      await heartbeat([{ vmid, state: "stopped", serverId }]);
      await reconcilePass(deps, { hostId, force: true });
    }
    const types = (await t.sql`select type from events where server_id = ${serverId}`).map((e) => e.type);
    expect(types).toContain("server.crashed");
    expect((await t.sql`select status from servers where id = ${serverId}`)[0]!.status).not.toBe("running");
  });

  it("sweeps log rows that no stream waits for: ended ones and those a dead control plane left", async () => {
    await t.sql`update operations set updated_at = now() - interval '1 hour' where kind = 'logs'`;
    expect(await sweepLogReads(database.db, caps.staleAfterMs)).toBeGreaterThan(0);
    expect((await t.sql`select count(*)::int as n from operations where kind = 'logs'`)[0]!.n).toBe(0);
  });

  it("caps a client's event streams, and ends each after its longest life with a final event", async () => {
    const open = () => openStream(`${t.plane.url}/v1/events/stream`, ADMIN_TOKEN).then((s) => (streams.push(s), s));
    const [a, b] = [await open(), await open()];
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(429);
    expect(third.body).toEqual({ error: "too_many_streams", message: expect.stringContaining("at most 2") });
    expect(endReason(await a.ended)).toBe("max_duration");
    expect(endReason(await b.ended)).toBe("max_duration");
    // Their slots are given back when they end.
    const again = await open();
    expect(again.status).toBe(200);
    again.close();
  });
});
