import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COUNTDOWN_CHANGED_REASON, connectDatabase, type Database } from "@zlh/db";
import { countdownTask, type CountdownPayload } from "../src/schedules/countdownJob";
import { scheduleTick } from "../src/schedules/scheduler";
import { enrollHost, serverBody, startTestPlane } from "./harness";

type Plane = Awaited<ReturnType<typeof startTestPlane>>;
type Run = { slot: string; status: string; reason: string | null };

const TOLERANCE_MS = 60_000;
const intentDeps = { config: { edgeProviders: [], edgeTiming: { deleteGraceMs: 0 } } };

/**
 * A schedule changed while a slot of it is claimed (a countdown under way):
 * the claimed slot is never placed again, the countdown ends, and a schedule
 * left on a claimed slot (stored before that rule) moves on at its next tick
 * instead of being rolled back at every tick until its next slot.
 */
describe("changing a schedule with a claimed slot", () => {
  let t: Plane;
  let database: Database;
  let n = 0;
  const warnings: Record<string, unknown>[] = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const deps = () => ({ db: database.db, log, toleranceMs: TOLERANCE_MS, ...intentDeps });
  beforeAll(async () => {
    t = await startTestPlane({ ZLH_SCHEDULE_TICK_MS: "600000", ZLH_SCHEDULE_MIN_INTERVAL_MS: "1000", ZLH_SCHEDULE_TOLERANCE_MS: String(TOLERANCE_MS) }, { runWorker: false });
    database = connectDatabase(t.databaseUrl, { max: 8 });
    await enrollHost(t.api, "change-host");
  });
  afterAll(() => database.close());

  async function runningServer() {
    const s = (await t.api("POST", "/v1/servers", serverBody(++n), { "idempotency-key": `change-${n}` })).body as { id: string };
    await t.sql`update servers set status = 'running', desired_state = 'running', manifest = '{}'::jsonb where id = ${s.id}`;
    return s.id;
  }
  const runs = async (id: string, scheduleId: string) => (await t.api("GET", `/v1/servers/${id}/schedules/${scheduleId}/runs`)).body.items as Run[];
  const row = async (scheduleId: string) => (await t.sql`select next_slot, due_at, last_slot from schedules where id = ${scheduleId}`)[0]!;

  it("a countdown restart changed to a command: the claimed slot is not placed again, the countdown ends, no restart", async () => {
    const id = await runningServer();
    // A daily restart whose slot is a minute ahead: inside its 5-minute countdown, so due now.
    const slot = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000);
    const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "reboot", cron, action: "restart" })).body;
    expect(s.nextRuns[0]).toBe(slot.toISOString());
    await Promise.all([scheduleTick(deps()), scheduleTick(deps())]);
    expect(await runs(id, s.id)).toMatchObject([{ slot: slot.toISOString(), status: "started" }]);

    const patched = await t.api("PATCH", `/v1/servers/${id}/schedules/${s.id}`, { action: "command", command: "save-all" });
    expect(patched.status).toBe(200);
    // The next slot is the one after the claimed slot (tomorrow's), in the row and in nextRuns.
    const tomorrow = new Date(slot.getTime() + 86_400_000).toISOString();
    expect(patched.body.nextRuns[0]).toBe(tomorrow);
    const after = await row(s.id);
    expect(new Date(after.next_slot).toISOString()).toBe(tomorrow);
    expect(new Date(after.last_slot).toISOString()).toBe(slot.toISOString());
    // The countdown's run ended because the schedule changed, with its event.
    expect(await runs(id, s.id)).toMatchObject([{ slot: slot.toISOString(), status: "failed", reason: COUNTDOWN_CHANGED_REASON }]);
    const [failed] = await t.sql`select actor, data from events where server_id = ${id} and type = 'schedule.run_failed'`;
    expect(failed).toMatchObject({ actor: "schedule:reboot", data: { reason: COUNTDOWN_CHANGED_REASON, action: "restart", slot: slot.toISOString() } });

    // The countdown's queued steps do nothing: no warning, no restart.
    const task = countdownTask(database.db, intentDeps, log);
    const step = (say: string | null): CountdownPayload => ({ scheduleId: s.id, slot: slot.toISOString(), step: say ? "warn10" : "restart", say, until: slot.toISOString() });
    await task(step("say The server restarts in 10 seconds."), {} as never);
    await task(step(null), {} as never);
    expect(await t.sql`select 1 from events where server_id = ${id} and type = 'server.intent'`).toHaveLength(0);
    expect(await t.sql`select 1 from operations where server_id = ${id} and kind = 'command'`).toHaveLength(0);

    // Ticks take nothing of it until tomorrow: not due, nothing rolled back, nothing logged.
    await Promise.all([scheduleTick(deps()), scheduleTick(deps())]);
    expect(new Date((await row(s.id)).due_at).toISOString()).toBe(tomorrow);
    expect(warnings.filter((w) => w.scheduleId === s.id)).toEqual([]);
  });

  it("a change racing two schedulers' ticks: whichever goes first, no claimed slot is placed again and no countdown outlives the change", async () => {
    const id = await runningServer();
    const slot = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000);
    const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "reboot", cron, action: "restart" })).body;
    const [patched] = await Promise.all([
      t.api("PATCH", `/v1/servers/${id}/schedules/${s.id}`, { action: "command", command: "save-all" }),
      scheduleTick(deps()),
      scheduleTick(deps()),
    ]);
    expect(patched.status).toBe(200);
    const after = await row(s.id);
    const taken = await runs(id, s.id);
    // The tick first: its run ended by the change, the next slot after it. The change first: nothing claimed, the command's slot is today's.
    if (taken.length > 0) {
      expect(taken).toMatchObject([{ slot: slot.toISOString(), status: "failed", reason: COUNTDOWN_CHANGED_REASON }]);
      expect(new Date(after.next_slot).getTime()).toBeGreaterThan(slot.getTime());
    } else expect(new Date(after.next_slot).toISOString()).toBe(slot.toISOString());
    expect(await t.sql`select 1 from events where server_id = ${id} and type = 'server.intent'`).toHaveLength(0);
  });

  it("a change that keeps a countdown restart keeps its countdown under way", async () => {
    const id = await runningServer();
    const slot = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000);
    const cron = `${slot.getUTCSeconds()} ${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`;
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "reboot", cron, action: "restart" })).body;
    await scheduleTick(deps());
    expect((await t.api("PATCH", `/v1/servers/${id}/schedules/${s.id}`, { name: "nightly" })).status).toBe(200);
    expect(await runs(id, s.id)).toMatchObject([{ status: "started" }]);
    expect(new Date((await row(s.id)).next_slot).getTime()).toBeGreaterThan(slot.getTime());
  });

  it("the database refuses a next slot at or before the newest claimed one", async () => {
    const id = await runningServer();
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "c", cron: "0 4 * * *", action: "command", command: "list" })).body;
    await t.sql`update schedules set last_slot = next_slot where id = ${s.id}`.then(
      () => expect.unreachable("a next slot equal to the last claimed one was stored"),
      (err: { code?: string; constraint_name?: string }) => expect([err.code, err.constraint_name]).toEqual(["23514", "schedules_next_after_last"]),
    );
  });

  it("a schedule left on a claimed slot (stored before the rule) moves on at its next tick, with two schedulers", async () => {
    const id = await runningServer();
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "wedged", cron: "*/10 * * * * *", action: "command", command: "list" })).body;
    // As a change before schedules_next_after_last left it: next_slot on a slot already claimed, no last_slot.
    const [claimed] = await t.sql`
      update schedules set next_slot = x.slot, due_at = x.slot, last_slot = null
      from (select date_trunc('second', now()) - make_interval(secs => extract(second from date_trunc('second', now()))::int % 10) as slot) x
      where id = ${s.id} returning next_slot`;
    const slot = new Date(claimed!.next_slot);
    await t.sql`insert into schedule_runs (schedule_id, slot, server_id, status, finished_at) values (${s.id}, ${slot}, ${id}, 'succeeded', now())`;
    await Promise.all([scheduleTick(deps()), scheduleTick(deps())]);
    const after = await row(s.id);
    expect(new Date(after.next_slot).toISOString()).toBe(new Date(slot.getTime() + 10_000).toISOString());
    expect(new Date(after.last_slot).toISOString()).toBe(slot.toISOString());
    // Nothing of the rolled-back attempt stands: the one run is the stored one, no command was asked for.
    expect(await runs(id, s.id)).toMatchObject([{ slot: slot.toISOString(), status: "succeeded" }]);
    expect(await t.sql`select 1 from operations where server_id = ${id} and kind = 'command'`).toHaveLength(0);
    expect(warnings.filter((w) => w.scheduleId === s.id).map((w) => w.msg)).toContain("scheduled slot was claimed already; the schedule moves on to its next slot");
  });

  it("shows a past-due slot that still runs late first in nextRuns, marked late", async () => {
    const id = await runningServer();
    const s = (await t.api("POST", `/v1/servers/${id}/schedules`, { name: "late", cron: "0 4 * * *", action: "command", command: "list", missedPolicy: "run_late" })).body;
    expect(s.nextRunLate).toBe(false);
    const [past] = await t.sql`update schedules set next_slot = next_slot - interval '2 days', due_at = next_slot - interval '2 days' where id = ${s.id} returning next_slot`;
    const late = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}`)).body;
    // The newest due slot (yesterday's at the latest) runs late; then the future ones.
    expect(late.nextRunLate).toBe(true);
    expect(new Date(late.nextRuns[0]).getTime()).toBeGreaterThanOrEqual(new Date(past!.next_slot).getTime());
    expect(new Date(late.nextRuns[0]).getTime()).toBeLessThan(Date.now());
    expect(late.nextRuns).toHaveLength(5);
    await t.sql`update schedules set missed_policy = 'skip' where id = ${s.id}`;
    const skipped = (await t.api("GET", `/v1/servers/${id}/schedules/${s.id}`)).body;
    expect(skipped.nextRunLate).toBe(false);
    expect(new Date(skipped.nextRuns[0]).getTime()).toBeGreaterThan(Date.now());
  });
});
