import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabase, type Database } from "@zlh/db";
import { countdownTask, type CountdownPayload } from "../src/schedules/countdownJob";
import { scheduleTick } from "../src/schedules/scheduler";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;

describe("schedules API", () => {
  let t: Plane;
  let database: Database;
  let n = 0;
  beforeAll(async () => {
    // The plane's own ticks are far apart: the tests tick by hand.
    t = await startTestPlane({ ZLH_SCHEDULE_TICK_MS: "600000", ZLH_SCHEDULE_MIN_INTERVAL_MS: "1000", ZLH_SCHEDULES_PER_SERVER: "5", ZLH_SCHEDULE_TOLERANCE_MS: "2000" }, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 8 });
    await enrollHost(t.api, "schedules-host");
  });
  afterAll(() => database.close());

  async function server(status = "running") {
    const s = (await t.api("POST", "/v1/servers", serverBody(++n), { "idempotency-key": `sched-${n}` })).body as { id: string };
    await t.sql`update servers set status = ${status}, desired_state = 'running', manifest = '{}'::jsonb where id = ${s.id}`;
    return s.id;
  }
  const create = (id: string, body: Record<string, unknown>) => t.api("POST", `/v1/servers/${id}/schedules`, body);
  const deps = () => ({ db: database.db, log: pino({ level: "silent" }), toleranceMs: 2000, config: { edgeProviders: [], edgeTiming: { deleteGraceMs: 0 } } });

  it("creates a schedule with its next runs in its zone, lists, reads, changes and deletes it, each an event", async () => {
    const id = await server();
    const res = await create(id, { name: "nightly", cron: "30 2 * * *", timeZone: "Europe/Berlin", action: "backup" });
    expect(res.status).toBe(201);
    const s = res.body;
    expect(s).toMatchObject({ name: "nightly", cron: "30 2 * * *", timeZone: "Europe/Berlin", action: "backup", countdown: true, missedPolicy: "skip", command: null, message: null });
    expect(s.nextRuns).toHaveLength(5);
    for (const r of s.nextRuns) expect([0, 1]).toContain(new Date(r).getUTCHours()); // 02:30 in Berlin is 00:30 or 01:30 UTC
    expect((await t.api("GET", `/v1/servers/${id}/schedules`)).body.items.map((x: { id: string }) => x.id)).toEqual([s.id]);
    expect((await t.api("GET", `/v1/servers/${id}/schedules/${s.id}`)).body.name).toBe("nightly");
    const changed = await t.api("PATCH", `/v1/servers/${id}/schedules/${s.id}`, { action: "command", command: "save-all", timeZone: "UTC" });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ action: "command", command: "save-all", timeZone: "UTC", name: "nightly" });
    expect(new Date(changed.body.nextRuns[0]).getUTCHours()).toBe(2);
    const deleted = await t.api("DELETE", `/v1/servers/${id}/schedules/${s.id}`);
    expect(deleted.status).toBe(200);
    // Ended: nothing of it runs any more.
    expect(deleted.body.nextRuns).toEqual([]);
    expect((await t.api("GET", `/v1/servers/${id}/schedules/${s.id}`)).status).toBe(404);
    expect((await t.api("DELETE", `/v1/servers/${id}/schedules/${s.id}`)).status).toBe(404);
    // Its runs stay readable.
    expect((await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body).toEqual({ items: [] });
    const events = await t.sql`select type, actor from events where server_id = ${id} and type like 'schedule.%' order by id`;
    expect(events.map((e) => e.type)).toEqual(["schedule.created", "schedule.updated", "schedule.deleted"]);
  });

  it("refuses a bad cron, time zone or argument with 422 and a sentence, a field its schema refuses with 400, and writes nothing", async () => {
    const id = await server();
    const bad = [
      [{ name: "a", cron: "61 * * * *", action: "backup" }, /not a cron expression/],
      [{ name: "a", cron: "0 4 * * *", timeZone: "Nowhere/Special", action: "backup" }, /not an IANA time zone/],
      [{ name: "a", cron: "0 4 * * *", action: "command" }, /needs `command`/],
      [{ name: "a", cron: "0 4 * * *", action: "backup", message: "hi" }, /takes neither/],
      [{ name: "a", cron: "*/2 * * * *", action: "restart" }, /countdown/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await create(id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toBe("invalid_schedule");
      expect(res.body.message).toMatch(message);
    }
    expect((await create(id, { name: "a", cron: "0 4 * * *", action: "command", command: "say\nhi" })).status).toBe(400);
    // A body field failing its schema is 400 invalid_request naming it, as everywhere (and as on POST /commands).
    const fieldRefusals = [
      [{ name: "a", cron: "0 4 * * *", action: "reboot" }, "body.action", /^must be one of: backup, restart, command, announce$/],
      [{ name: "a", cron: "0 4 * * *", action: "backup", missedPolicy: "later" }, "body.missedPolicy", /^must be one of: skip, run_late$/],
      [{ name: "a", cron: "0 4 * * *", action: "command", command: "é".repeat(724) }, "body.command", /^is 1448 bytes in UTF-8; vanilla's RCON accepts at most 1446$/],
      [{ name: "a", cron: "0 4 * * *", action: "announce", message: "x".repeat(1443) }, "body.message", /^is 1447 bytes in UTF-8 as `say <message>`; vanilla's RCON accepts at most 1446$/],
    ] as const;
    for (const [body, field, message] of fieldRefusals) {
      const res = await create(id, body);
      expect({ status: res.status, error: res.body.error }, field).toEqual({ status: 400, error: "invalid_request" });
      expect(res.body.problems).toEqual([{ field, message: expect.stringMatching(message) }]);
      expect(res.body.message).toBe(`${field} ${res.body.problems[0].message}.`);
    }
    expect((await t.api("GET", `/v1/servers/${id}/schedules`)).body.items).toEqual([]);
    expect((await create("00000000-0000-4000-8000-000000000000", { name: "a", cron: "0 4 * * *", action: "backup" })).status).toBe(404);
    expect((await t.api("GET", `/v1/servers/${id}/schedules/not-a-uuid`)).status).toBe(404);
  });

  it("holds the per-server cap and unique names under concurrent creates", async () => {
    const id = await server();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => create(id, { name: `s${i % 8}`, cron: `${i} 4 * * *`, action: "backup" })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.error).every((e) => e === "schedule_limit" || e === "schedule_name_taken")).toBe(true);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    const [c] = await t.sql`select count(*)::int as n from schedules where server_id = ${id} and ended_at is null`;
    expect(c!.n).toBe(5);
    const names = (await t.api("GET", `/v1/servers/${id}/schedules`)).body.items.map((s: { name: string }) => s.name);
    expect(new Set(names).size).toBe(5);
  });

  it("ends a server's schedules when the server is deleted", async () => {
    const id = await server();
    expect((await create(id, { name: "x", cron: "0 4 * * *", action: "backup" })).status).toBe(201);
    expect((await t.api("DELETE", `/v1/servers/${id}`)).status).toBe(202);
    const [row] = await t.sql`select ended_at is not null as ended from schedules where server_id = ${id}`;
    expect(row!.ended).toBe(true);
    expect((await create(id, { name: "y", cron: "0 4 * * *", action: "backup" })).status).toBe(409);
  });

  it("runs a due slot exactly once with concurrent ticks: one run, one operation, events acted by the schedule", async () => {
    const id = await server();
    const s = (await create(id, { name: "hello", cron: "*/2 * * * * *", action: "announce", message: "hi all" })).body;
    // The newest even second in the past is a slot, due now (within the 2-s tolerance).
    await t.sql`update schedules set next_slot = x.slot, due_at = x.slot
      from (select date_trunc('second', now()) - make_interval(secs => extract(second from date_trunc('second', now()))::int % 2) as slot) x where id = ${s.id}`;
    await Promise.all(Array.from({ length: 6 }, () => scheduleTick(deps())));
    const runs = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body.items;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "started", late: false });
    const ops = await t.sql`select id, params from operations where server_id = ${id} and kind = 'command'`;
    expect(ops).toHaveLength(1);
    expect(ops[0]!.params).toEqual({ command: "say hi all" });
    expect(runs[0].operationId).toBe(ops[0]!.id);
    const events = await t.sql`select type, actor from events where server_id = ${id} and (type like 'schedule.run%' or type = 'server.command')`;
    expect(events).toEqual(expect.arrayContaining([{ type: "schedule.run_started", actor: "schedule:hello" }, { type: "server.command", actor: "schedule:hello" }]));
  });

  it("writes nothing for a busy server's slot and tries it again until its tolerance passes, then applies the policy", async () => {
    const id = await server();
    const s = (await create(id, { name: "cmd", cron: "0 4 * * *", action: "command", command: "save-all" })).body;
    await t.sql`update schedules set next_slot = now() - interval '500 milliseconds', due_at = now() - interval '500 milliseconds' where id = ${s.id}`;
    // Something is in flight on the server.
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_session_id, lease_expires_at)
      select id, host_id, -7, 'backup', vmid, 'leased', gen_random_uuid(), now() + interval '1 hour' from servers where id = ${id}`;
    await scheduleTick(deps());
    expect(await t.sql`select * from schedule_runs where schedule_id = ${s.id}`).toHaveLength(0);
    const [busy] = await t.sql`select busy_slot = date_trunc('milliseconds', next_slot) as noted from schedules where id = ${s.id}`;
    expect(busy!.noted).toBe(true);
    // Past the tolerance (the same slot, a minute older), policy skip: recorded skipped, and the next slot placed.
    await t.sql`update schedules set next_slot = next_slot - interval '1 minute', due_at = due_at - interval '1 minute', busy_slot = busy_slot - interval '1 minute' where id = ${s.id}`;
    await scheduleTick(deps());
    const runs = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body.items;
    // The control planes were up: the server being busy is why, not a missed tick.
    expect(runs).toMatchObject([{ status: "skipped", reason: "server_busy" }]);
    const [after] = await t.sql`select next_slot > now() as ahead from schedules where id = ${s.id}`;
    expect(after!.ahead).toBe(true);
    expect(await t.sql`select 1 from events where server_id = ${id} and type = 'schedule.run_skipped' and actor = 'schedule:cmd'`).toHaveLength(1);
  });

  it("ends a command run with its operation's result", async () => {
    const id = await server();
    const s = (await create(id, { name: "c2", cron: "0 4 * * *", action: "command", command: "list" })).body;
    await t.sql`update schedules set next_slot = now() - interval '100 milliseconds', due_at = now() - interval '100 milliseconds' where id = ${s.id}`;
    await scheduleTick(deps());
    const [run] = await t.sql`select operation_id from schedule_runs where schedule_id = ${s.id}`;
    const { onOperationFinished } = await import("../src/broker/effects");
    const [op] = await t.sql`select * from operations where id = ${run!.operation_id}`;
    await database.db.transaction((tx) => onOperationFinished(tx, { ...op, status: "failed", error: "rcon refused" } as never, {}));
    const runs = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body.items;
    expect(runs).toMatchObject([{ status: "failed", reason: "rcon refused" }]);
  });
  it("takes a scheduled backup through the backup path: its run ends with the backup, and retention applies", async () => {
    const id = await server();
    const s = (await create(id, { name: "bk", cron: "0 4 * * *", action: "backup" })).body;
    await t.sql`insert into backups (id, server_id, host_id, status, size_bytes, sha256, completed_at, created_at)
      select gen_random_uuid(), id, host_id, 'completed', 10, 'ab', now(), now() - interval '1 day' from servers where id = ${id}`;
    await t.sql`update schedules set next_slot = now() - interval '100 milliseconds', due_at = now() - interval '100 milliseconds' where id = ${s.id}`;
    await scheduleTick(deps());
    const [run] = await t.sql`select operation_id, status from schedule_runs where schedule_id = ${s.id}`;
    const [op] = await t.sql`select * from operations where id = ${run!.operation_id}`;
    expect(op!.kind).toBe("backup");
    expect(await t.sql`select 1 from events where server_id = ${id} and type = 'backup.requested' and actor = 'schedule:bk'`).toHaveLength(1);
    const { onOperationFinished } = await import("../src/broker/effects");
    await database.db.transaction((tx) =>
      onOperationFinished(tx, { ...op, status: "succeeded", result: { sha256: "cd", sizeBytes: 20 } } as never, { backupRetention: { keep: 1, maxAgeDays: 30 } }),
    );
    const runs = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body.items;
    expect(runs).toMatchObject([{ status: "succeeded", operationId: op!.id }]);
    // keep 1: the older backup is removed, the scheduled one stays.
    const live = (await t.api("GET", `/v1/servers/${id}/backups`)).body.items;
    expect(live.map((b: { id: string; status: string }) => [b.id, b.status])).toEqual([[op!.subject_id, "completed"]]);
  });
});

describe("a countdown restart's steps", () => {
  let t: Plane;
  let database: Database;
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_SCHEDULE_TICK_MS: "600000" }, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 4 });
    await enrollHost(t.api, "countdown-host");
  });
  afterAll(() => database.close());

  it("queues one job per step still ahead; a busy warning is queued again under its key, the restart ends the run once", async () => {
    const s0 = (await t.api("POST", "/v1/servers", serverBody(900), { "idempotency-key": "countdown-1" })).body as { id: string };
    const id = s0.id;
    await t.sql`update servers set status = 'running', desired_state = 'running', manifest = '{}'::jsonb where id = ${id}`;
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "reboot", cron: "0 4 * * *", action: "restart" })).body;
    const [slotRow] = await t.sql`update schedules set next_slot = date_trunc('second', now()) + interval '30 seconds', due_at = now() - interval '1 second' where id = ${s.id} returning next_slot`;
    const slot = new Date(slotRow!.next_slot);
    const log = pino({ level: "silent" });
    await scheduleTick({ db: database.db, log, toleranceMs: 60_000, config: { edgeProviders: [], edgeTiming: { deleteGraceMs: 0 } } });
    const jobs = await t.sql`select key, run_at from graphile_worker.jobs where key like ${`schedule:${s.id}:%`} order by run_at`;
    expect(jobs.map((j) => j.key)).toEqual([`schedule:${s.id}:${slot.toISOString()}:warn10`, `schedule:${s.id}:${slot.toISOString()}:restart`]);
    expect(new Date(jobs[1]!.run_at).getTime()).toBe(slot.getTime());

    const task = countdownTask(database.db, { config: { edgeProviders: [], edgeTiming: { deleteGraceMs: 0 } } }, log);
    const warn: CountdownPayload = { scheduleId: s.id, slot: slot.toISOString(), step: "warn10", say: "say The server restarts in 10 seconds.", until: slot.toISOString() };
    await t.sql`delete from graphile_worker._private_jobs where key = ${`schedule:${s.id}:${slot.toISOString()}:warn10`}`;
    // Busy: no command, the step queued again a second later under its own key.
    await t.sql`insert into operations (server_id, host_id, generation, kind, vmid, status, lease_session_id, lease_expires_at)
      select id, host_id, -9, 'backup', vmid, 'leased', gen_random_uuid(), now() + interval '1 hour' from servers where id = ${id}`;
    await task(warn, {} as never);
    expect(await t.sql`select 1 from operations where server_id = ${id} and kind = 'command'`).toHaveLength(0);
    const [again] = await t.sql`select run_at > now() as later from graphile_worker.jobs where key = ${`schedule:${s.id}:${slot.toISOString()}:warn10`}`;
    expect(again!.later).toBe(true);
    // Free: the warning is said.
    await t.sql`update operations set status = 'succeeded', lease_session_id = null, lease_expires_at = null where server_id = ${id} and kind = 'backup'`;
    await task(warn, {} as never);
    const said = await t.sql`select params->>'command' as c from operations where server_id = ${id} and kind = 'command'`;
    expect(said).toEqual([{ c: "say The server restarts in 10 seconds." }]);
    // The restart, twice (a job run again): one intent, the run ended once.
    const restart = { ...warn, step: "restart", say: null };
    await task(restart, {} as never);
    await task(restart, {} as never);
    const intents = await t.sql`select actor from events where server_id = ${id} and type = 'server.intent' and data->>'action' = 'restart'`;
    expect(intents).toEqual([{ actor: "schedule:reboot" }]);
    const runs = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}/runs`)).body.items;
    expect(runs).toMatchObject([{ status: "succeeded", slot: slot.toISOString() }]);
    expect(await t.sql`select 1 from events where server_id = ${id} and type = 'schedule.run_succeeded'`).toHaveLength(1);
  });
});
