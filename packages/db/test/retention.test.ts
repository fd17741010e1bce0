import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "@zlh/testing";
import { connectDatabase, findKeyedTask, listEvents, markerOwners, pruneAll, pruneEvents, pruneOperations, pruneScheduleRuns, sequenceEvents, wasProvisioned, type Database } from "../src/index";
import { seedHost, seedServer } from "./support/seed";
import { pruneResolvedDrift } from "../src/index";

const DAY = 86_400_000;
const RETENTION = 90 * DAY;

describe("retention: events, resolved drift, finished operations and schedule runs past their days", () => {
  let database: Database;
  let hostId: string;
  beforeAll(async () => {
    database = connectDatabase(await testDatabase(), { max: 6 });
    hostId = await seedHost(database.sql, "retention");
  });
  afterAll(() => database.close());

  /** Events of these ages in days, in this order, sequenced: their positions follow. */
  async function feed(ages: number[]): Promise<string[]> {
    for (const age of ages) await database.sql`insert into events (type, data, at) values ('host.enrolled', '{}'::jsonb, now() - make_interval(days => ${age}))`;
    // Sequencing waits for every older transaction of the cluster (other test files' too): a bounded poll.
    for (let i = 0; ; i++) {
      await sequenceEvents(database.db);
      if ((await database.sql`select 1 from events where position is null`).length === 0) break;
      if (i === 400) throw new Error("events were never sequenced");
      await new Promise((r) => setTimeout(r, 25));
    }
    return (await database.sql`select position::text as p from events order by position`).map((r) => r.p as string);
  }
  const positions = async () => (await database.sql`select position::text as p from events order by position`).map((r) => r.p as string);

  it("deletes the oldest events in bounded batches, stops at the first kept, keeps the newest, and a cursor into the deleted part expires", async () => {
    await database.sql`delete from events`;
    const all = await feed([100, 100, 100, 100, 100, 1, 100, 100]);
    expect(await pruneEvents(database.db, RETENTION, 2)).toBe(2);
    expect(await positions()).toEqual(all.slice(2));
    expect(await pruneAll(database.db, pruneEvents, RETENTION, 2)).toBe(3);
    // A prefix only: the old events after the one a day old stay (so no cursor past it loses any).
    expect(await positions()).toEqual(all.slice(5));
    const read = (after: string | null) => listEvents(database.db, { after, limit: 10 });
    expect((await read(all[1]!)).cursorExpired).toBe(true);
    expect((await read(all[4]!)).cursorExpired).toBe(false);
    expect((await read(null)).cursorExpired).toBe(false);
    expect((await read(all[4]!)).rows.map((r) => r.position)).toEqual(all.slice(5));
  });

  it("never deletes the newest event: the next is numbered after it, never below a position given", async () => {
    await database.sql`delete from events`;
    const all = await feed([200, 200, 200]);
    expect(await pruneAll(database.db, pruneEvents, RETENTION)).toBe(2);
    expect(await positions()).toEqual([all[2]]);
    const next = await feed([0]);
    expect(next).toEqual([all[2], String(BigInt(all[2]!) + 1n)]);
  });

  /** An operation of this server, generation, kind and status, last changed this many days ago. */
  async function op(serverId: string, generation: number, kind: string, status: string, ageDays: number, params: Record<string, unknown> = {}) {
    const [row] = await database.sql`
      insert into operations (server_id, host_id, generation, kind, vmid, status, updated_at, params, lease_session_id, lease_expires_at)
      values (${serverId}, ${hostId}, ${generation}, ${kind}, 1, ${status}, now() - make_interval(days => ${ageDays}), ${JSON.stringify(params)}::jsonb,
        case when ${status} = 'leased' then gen_random_uuid() end, case when ${status} = 'leased' then now() + interval '1 hour' end)
      returning id`;
    return row!.id as string;
  }
  const left = async (...serverIds: string[]) => (await database.sql`select id from operations where server_id = any(${serverIds}::uuid[])`).map((r) => r.id as string).sort();

  it("deletes old finished operations, but not live ones, recent ones, a live server's current generation's, or the newest of a kind", async () => {
    const live = await seedServer(database, hostId);
    const gone = await seedServer(database, hostId, { status: "deleted", desiredState: "deleted" });
    await database.sql`update servers set generation = 3 where id = ${live.id}`;
    await database.sql`update servers set generation = 2 where id = ${gone.id}`;
    await database.sql`delete from operations where server_id in (${live.id}, ${gone.id})`;
    const doomed = [
      await op(live.id, 1, "stop", "succeeded", 300), // superseded by the stop of generation 2
      await op(live.id, -3, "command", "failed", 200), // superseded by the command of -5
      await op(live.id, -4, "backup", "cancelled", 200), // superseded by the backup of -6
      await op(gone.id, 1, "destroy", "failed", 300), // superseded by the destroy of generation 2
      await op(gone.id, 2, "stop", "succeeded", 200), // a deleted server's, its current generation too: only its destroy is read
    ];
    const kept = [
      await op(live.id, 3, "start", "succeeded", 200), // the live server's current state stands on it
      await op(live.id, 2, "stop", "succeeded", 200), // its newest stop
      await op(live.id, -1, "command", "queued", 200), // not finished
      await op(live.id, -2, "command", "succeeded", 10), // recent
      await op(live.id, -5, "command", "failed", 200), // its newest command (the lowest task generation: the next is numbered below it)
      await op(live.id, -6, "backup", "succeeded", 200), // its newest backup
      await op(gone.id, 2, "destroy", "succeeded", 200), // a deleted server's newest destroy (how its last reap ended)
    ];
    expect(await pruneAll(database.db, pruneOperations, RETENTION)).toBe(doomed.length);
    expect(await left(live.id, gone.id)).toEqual([...kept].sort());
  });

  it("keeps a live server's newest succeeded provision, so a failed server once provisioned is still known to be", async () => {
    const server = await seedServer(database, hostId, { status: "failed" });
    await database.sql`update servers set generation = 5 where id = ${server.id}`;
    const first = await op(server.id, 1, "provision", "succeeded", 400);
    const provisioned = await op(server.id, 2, "provision", "succeeded", 300);
    const retried = await op(server.id, 4, "provision", "failed", 200); // the newest provision, but not a succeeded one
    expect(await wasProvisioned(database.db, server.id)).toBe(true);
    expect(await pruneAll(database.db, pruneOperations, RETENTION)).toBe(1);
    expect(await left(server.id)).toEqual([provisioned, retried].sort());
    expect(await left(server.id)).not.toContain(first);
    expect(await wasProvisioned(database.db, server.id)).toBe(true);
  });

  it("keeps the destroy a failed reap of a deleted server left, so its orphan stays with the operator", async () => {
    const server = await seedServer(database, hostId, { status: "deleted", desiredState: "deleted" });
    await database.sql`update servers set generation = 4 where id = ${server.id}`;
    await op(server.id, 2, "destroy", "succeeded", 400);
    await op(server.id, 3, "destroy", "failed", 300); // the reap of an orphan, generation 4 being bumped past it since
    await op(server.id, 1, "provision", "succeeded", 500);
    expect(await pruneAll(database.db, pruneOperations, RETENTION)).toBe(2);
    const [owner] = await markerOwners(database.db, [server.id]);
    expect(owner!.last_reap_status).toBe("failed");
  });

  it("forgets a backup's Idempotency-Key with its operation: a retry after the retention is a new request", async () => {
    const server = await seedServer(database, hostId);
    const keyed = { idempotencyClient: "c", idempotencyKey: "k", requestHash: "h" };
    await op(server.id, -10, "backup", "succeeded", 200, keyed);
    await op(server.id, -11, "backup", "succeeded", 150, { ...keyed, idempotencyKey: "k2" }); // the newest backup: kept, and its key
    expect(await findKeyedTask(database.db, server.id, "c", "k")).not.toBeNull();
    expect(await pruneAll(database.db, pruneOperations, RETENTION)).toBe(1);
    expect(await findKeyedTask(database.db, server.id, "c", "k")).toBeNull();
    expect(await findKeyedTask(database.db, server.id, "c", "k2")).not.toBeNull();
  });

  it("deletes ended schedule runs past their retention, keeping runs under way and recent ones", async () => {
    const server = await seedServer(database, hostId);
    const [s] = await database.sql`
      insert into schedules (server_id, name, cron, time_zone, action, argument, next_slot, due_at, last_slot)
      values (${server.id}, 'r', '0 4 * * *', 'UTC', 'command', 'list', now() + interval '1 day', now() + interval '1 day', now() - interval '1 day')
      returning id`;
    const run = async (ageDays: number, status: string) =>
      database.sql`insert into schedule_runs (schedule_id, slot, server_id, status, started_at, finished_at)
        values (${s!.id}, now() - make_interval(days => ${ageDays}), ${server.id}, ${status}, now() - make_interval(days => ${ageDays}),
          case when ${status} <> 'started' then now() - make_interval(days => ${ageDays}) end)`;
    await run(300, "succeeded");
    await run(200, "skipped");
    await run(150, "started");
    await run(5, "failed");
    expect(await pruneAll(database.db, pruneScheduleRuns, RETENTION)).toBe(2);
    const left = await database.sql`select status from schedule_runs where schedule_id = ${s!.id} order by slot`;
    expect(left.map((r) => r.status)).toEqual(["started", "failed"]);
  });

  it("deletes drift items resolved before the retention, never an open one however old", async () => {
    const host = await seedHost(database.sql, "retention-drift");
    const item = async (vmid: number, detectedDays: number, resolvedDays: number | null) => {
      const [row] = await database.sql`
        insert into drift_items (kind, host_id, vmid, detail, detected_at, seen_at, resolved_at)
        values ('state_mismatch', ${host}, ${vmid}, '{}'::jsonb, now() - make_interval(days => ${detectedDays}), now() - make_interval(days => ${detectedDays}),
          case when ${resolvedDays}::int is not null then now() - make_interval(days => ${resolvedDays}::int) end)
        returning id::text`;
      return row!.id as string;
    };
    const kept = [
      await item(1, 400, null), // open: the next pass judges it
      await item(2, 400, 10), // detected long ago, resolved recently
    ];
    await item(3, 300, 200);
    await item(4, 95, 91);
    expect(await pruneAll(database.db, pruneResolvedDrift, RETENTION, 1)).toBe(2);
    const left = (await database.sql`select id::text from drift_items where host_id = ${host}`).map((r) => r.id);
    expect(left.sort()).toEqual([...kept].sort());
  });

  it("concurrent sweeps delete each row once, in batches, with no error", async () => {
    const server = await seedServer(database, hostId);
    await database.sql`
      insert into operations (server_id, host_id, generation, kind, vmid, status, updated_at)
      select ${server.id}, ${hostId}, -100 - g, 'command', 1, 'succeeded', now() - interval '200 days' from generate_series(1, 60) g`;
    const counts = await Promise.all(Array.from({ length: 4 }, () => pruneAll(database.db, pruneOperations, RETENTION, 7)));
    // All but the newest command (generation -160), each once.
    expect(counts.reduce((a, b) => a + b, 0)).toBe(59);
    expect((await database.sql`select generation from operations where server_id = ${server.id}`).map((r) => r.generation)).toEqual([-160]);
  });
});
