import { sql } from "drizzle-orm";
import type { MissedPolicy, ScheduleAction, ScheduleRunStatus } from "@zlh/domain";
import type { DbOrTx, Tx } from "../client";

export type ScheduleRow = {
  id: string;
  server_id: string;
  host_id: string;
  name: string;
  cron: string;
  time_zone: string;
  action: ScheduleAction;
  argument: string | null;
  countdown: boolean;
  missed_policy: MissedPolicy;
  next_slot: string | null;
  due_at: string | null;
  /** The newest slot claimed (null: none yet). */
  last_slot: string | null;
  /** The slot a tick last found the server busy for. */
  busy_slot: string | null;
  created_at: string;
  updated_at: string;
};

export type ScheduleRunRow = {
  schedule_id: string;
  slot: string;
  status: ScheduleRunStatus;
  late: boolean;
  missed_before: number;
  operation_id: string | null;
  reason: string | null;
  started_at: string;
  finished_at: string | null;
};

export interface ScheduleFields {
  name: string;
  cron: string;
  timeZone: string;
  action: ScheduleAction;
  argument: string | null;
  countdown: boolean;
  missedPolicy: MissedPolicy;
  /** The first slot to judge, and when a tick takes it (the slot less a countdown's lead). */
  nextSlot: Date | null;
  dueAt: Date | null;
}

const COLUMNS = sql.raw(
  `s.id, s.server_id, v.host_id, s.name, s.cron, s.time_zone, s.action, s.argument, s.countdown, s.missed_policy, s.next_slot, s.due_at, s.last_slot, s.busy_slot, s.created_at, s.updated_at`,
);

const toIso = (d: Date | null) => d?.toISOString() ?? null;

/** Why a schedule could not be written. */
export type ScheduleRefusal = "server_gone" | "cap_reached" | "name_taken";

/**
 * A new schedule on a live server, or why not. The server's row is locked
 * first, in a statement of its own, so concurrent creates count one after
 * another and the per-server cap holds (the count's statement sees every
 * schedule the lock's previous holder committed).
 */
export async function insertSchedule(tx: Tx, serverId: string, f: ScheduleFields, cap: number): Promise<ScheduleRow | ScheduleRefusal> {
  const locked = await tx.execute(sql`
    select id from servers where id = ${serverId} and status <> 'deleted' and desired_state <> 'deleted' for update`);
  if (locked.length === 0) return "server_gone";
  const [count] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from schedules where server_id = ${serverId} and ended_at is null`);
  if (count!.n >= cap) return "cap_reached";
  if (await nameTaken(tx, serverId, f.name, null)) return "name_taken";
    const [row] = await tx.execute<ScheduleRow>(sql`
      with s as (
        insert into schedules (server_id, name, cron, time_zone, action, argument, countdown, missed_policy, next_slot, due_at)
        values (${serverId}, ${f.name}, ${f.cron}, ${f.timeZone}, ${f.action}, ${f.argument}, ${f.countdown}, ${f.missedPolicy},
                ${toIso(f.nextSlot)}::timestamptz, ${toIso(f.dueAt)}::timestamptz)
        returning *
      ) ${writtenWithEvent(serverId, "schedule.created")}`);
    return row!;
}

/** Why a changed restart's countdown under way ends (its run `failed`, its remaining steps doing nothing). */
export const COUNTDOWN_CHANGED_REASON = "the schedule was changed before its restart";

/**
 * Replaces a live schedule's fields; null if unknown. `place` turns the
 * newest claimed slot into the fields (their next slot after it), read under
 * the schedule's lock, taken before the server's as a tick takes them, so no
 * tick claims a slot between the read and the write. A countdown restart
 * changed to another action, or to no countdown, ends the run it has under
 * way (`failed`, COUNTDOWN_CHANGED_REASON): its warnings and restart then do
 * nothing.
 */
export async function updateSchedule(
  tx: Tx,
  serverId: string,
  id: string,
  place: (lastSlot: Date | null) => ScheduleFields,
): Promise<ScheduleRow | "name_taken" | null> {
  const [old] = await tx.execute<ScheduleRow>(sql`
    select ${COLUMNS} from schedules s join servers v on v.id = s.server_id
    where s.id = ${id} and s.server_id = ${serverId} and s.ended_at is null for update of s`);
  if (!old) return null;
  const f = place(old.last_slot === null ? null : new Date(old.last_slot));
  await tx.execute(sql`select id from servers where id = ${serverId} for update`);
  if (await nameTaken(tx, serverId, f.name, id)) return "name_taken";
  if (old.action === "restart" && old.countdown && (f.action !== "restart" || !f.countdown)) {
    const started = await tx.execute<{ slot: string }>(sql`select slot from schedule_runs where schedule_id = ${id} and status = 'started'`);
    for (const r of started) await finishRun(tx, old, new Date(r.slot), "failed", null, COUNTDOWN_CHANGED_REASON);
  }
    const [row] = await tx.execute<ScheduleRow>(sql`
      with s as (
        update schedules set name = ${f.name}, cron = ${f.cron}, time_zone = ${f.timeZone}, action = ${f.action}, argument = ${f.argument},
          countdown = ${f.countdown}, missed_policy = ${f.missedPolicy}, next_slot = ${toIso(f.nextSlot)}::timestamptz,
          due_at = ${toIso(f.dueAt)}::timestamptz, updated_at = now()
        where id = ${id} and server_id = ${serverId} and ended_at is null
        returning *
      ) ${writtenWithEvent(serverId, "schedule.updated")}`);
    return row ?? null;
}

/** The tail of a statement whose CTE `s` wrote a schedule: its event, and the row as ScheduleRow. */
const writtenWithEvent = (serverId: string, type: string) => sql`
  , v as (select id, host_id from servers where id = ${serverId}),
  e as (
    insert into events (server_id, host_id, type, data)
    select s.server_id, v.host_id, ${type}, jsonb_build_object('scheduleId', s.id, 'name', s.name, 'cron', s.cron, 'timeZone', s.time_zone, 'action', s.action)
    from s, v
  )
  select ${COLUMNS} from s, v`;

/** Under the server's lock (schedules_server_name_key is the rule behind it). */
async function nameTaken(tx: Tx, serverId: string, name: string, except: string | null): Promise<boolean> {
  const rows = await tx.execute(sql`
    select 1 from schedules where server_id = ${serverId} and name = ${name} and ended_at is null and (${except}::uuid is null or id <> ${except}::uuid)`);
  return rows.length > 0;
}

/**
 * Ends schedules: one (`id`), or all of a server's (its delete). Ended, a
 * schedule is no longer taken by any tick; its runs stay for the record.
 * Returns how many ended.
 */
export async function endSchedules(db: DbOrTx, serverId: string, id: string | null, reason: "deleted" | "server_deleted"): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    with s as (
      update schedules set ended_at = now(), updated_at = now(), due_at = null
      where server_id = ${serverId} and ended_at is null and (${id}::uuid is null or id = ${id}::uuid)
      returning id, name, server_id
    ), e as (
      insert into events (server_id, host_id, type, data)
      select s.server_id, v.host_id, 'schedule.deleted', jsonb_build_object('scheduleId', s.id, 'name', s.name, 'reason', ${reason}::text)
      from s join servers v on v.id = s.server_id
    )
    select id from s`);
  return rows.length;
}

export async function listSchedules(db: DbOrTx, serverId: string): Promise<ScheduleRow[]> {
  return db.execute<ScheduleRow>(sql`
    select ${COLUMNS} from schedules s join servers v on v.id = s.server_id
    where s.server_id = ${serverId} and s.ended_at is null order by s.created_at, s.id`);
}

/** A live schedule of the server; `endedToo` also finds an ended one (its runs stay readable). */
export async function getSchedule(db: DbOrTx, serverId: string, id: string, endedToo = false): Promise<ScheduleRow | null> {
  const [row] = await db.execute<ScheduleRow>(sql`
    select ${COLUMNS} from schedules s join servers v on v.id = s.server_id
    where s.id = ${id} and s.server_id = ${serverId} and (${endedToo}::boolean or s.ended_at is null)`);
  return row ?? null;
}

/**
 * One schedule whose slot is due by the database's clock, locked for this
 * transaction; schedules another control plane holds are skipped, not
 * waited for; `passed` are those this tick looked at already (a busy
 * server's). Null when none is due. `db_now` is the database's clock.
 */
export async function takeDueSchedule(tx: Tx, passed: string[]): Promise<(ScheduleRow & { db_now: string }) | null> {
  const [row] = await tx.execute<ScheduleRow & { db_now: string }>(sql`
    with due as (
      select id from schedules
      where ended_at is null and due_at <= now() and not (id = any(${`{${passed.join(",")}}`}::uuid[]))
      order by due_at limit 1 for update skip locked
    )
    select ${COLUMNS}, now() as db_now from schedules s join due on due.id = s.id join servers v on v.id = s.server_id`);
  return row ?? null;
}

/**
 * The schedule's next slot once one is judged (null: it never fires again);
 * `claimed`, the slot just claimed, becomes its newest claimed slot, unless
 * the schedule has moved past it already (another tick did this first).
 */
export async function advanceSchedule(tx: DbOrTx, id: string, nextSlot: Date | null, dueAt: Date | null, claimed: Date | null = null): Promise<void> {
  await tx.execute(sql`
    update schedules set next_slot = ${toIso(nextSlot)}::timestamptz, due_at = ${toIso(dueAt)}::timestamptz,
      last_slot = greatest(last_slot, ${toIso(claimed)}::timestamptz)
    where id = ${id} and (${toIso(claimed)}::timestamptz is null or date_trunc('milliseconds', next_slot) <= ${toIso(claimed)}::timestamptz)`);
}

/** Notes that a tick found the server busy for this slot (tried again until its tolerance passes). */
export async function noteBusySlot(tx: Tx, id: string, slot: Date): Promise<void> {
  await tx.execute(sql`update schedules set busy_slot = ${slot.toISOString()}::timestamptz where id = ${id}`);
}

export interface NewRun {
  schedule: ScheduleRow;
  slot: Date;
  status: ScheduleRunStatus;
  late: boolean;
  missedBefore: number;
  operationId: string | null;
  reason: string | null;
}

const RUN_COLUMNS = sql.raw(`schedule_id, slot, status, late, missed_before, operation_id, reason, started_at, finished_at`);

/**
 * Claims a slot: its row, keyed by (schedule, slot), with its event
 * (`schedule.run_started`, `run_late`, `run_skipped`, or `run_succeeded` for
 * an action that is done once asked, a restart's intent). False when the slot
 * was claimed already: the caller must then write nothing else.
 */
export async function claimRun(tx: Tx, r: NewRun): Promise<boolean> {
  const finished = r.status !== "started";
  const rows = await tx.execute<{ slot: string }>(sql`
    insert into schedule_runs (schedule_id, slot, server_id, status, late, missed_before, operation_id, reason, finished_at)
    values (${r.schedule.id}, ${r.slot.toISOString()}::timestamptz, ${r.schedule.server_id}, ${r.status}, ${r.late}, ${r.missedBefore},
            ${r.operationId}::uuid, ${r.reason}, case when ${finished}::boolean then now() end)
    on conflict do nothing
    returning slot`);
  if (rows.length === 0) return false;
  const type = r.status === "skipped" ? "run_skipped" : r.late ? "run_late" : "run_started";
  await runEvent(tx, r.schedule, r.slot, type, r.operationId, { late: r.late, missedBefore: r.missedBefore, reason: r.reason });
  if (r.status === "succeeded" || r.status === "failed") await runEvent(tx, r.schedule, r.slot, `run_${r.status}`, r.operationId, { reason: r.reason });
  return true;
}

async function runEvent(tx: Tx, s: ScheduleRow, slot: Date | string, type: string, operationId: string | null, extra: Record<string, unknown>): Promise<void> {
  await tx.execute(sql`
    insert into events (server_id, host_id, operation_id, type, actor, data)
    values (${s.server_id}, ${s.host_id}, ${operationId}::uuid, ${`schedule.${type}`}, ${`schedule:${s.name}`},
      jsonb_strip_nulls(${JSON.stringify({ scheduleId: s.id, name: s.name, action: s.action, slot: new Date(slot).toISOString(), ...extra })}::jsonb))`);
}

/** A claimed run's slot, read back with its schedule (also an ended one: a countdown's last step still ends its run). */
export async function getRun(tx: Tx, scheduleId: string, slot: Date, forUpdate: boolean): Promise<{ run: ScheduleRunRow; schedule: ScheduleRow & { ended: boolean } } | null> {
  const [row] = await tx.execute<ScheduleRunRow & { sched: ScheduleRow & { ended: boolean } }>(sql`
    select r.schedule_id, r.slot, r.status, r.late, r.missed_before, r.operation_id, r.reason, r.started_at, r.finished_at,
      (select to_jsonb(x) from (select ${COLUMNS}, s.ended_at is not null as ended from schedules s join servers v on v.id = s.server_id where s.id = r.schedule_id) x) as sched
    from schedule_runs r where r.schedule_id = ${scheduleId} and r.slot = ${slot.toISOString()}::timestamptz
    ${forUpdate ? sql`for update of r` : sql``}`);
  if (!row) return null;
  const { sched, ...run } = row;
  return { run, schedule: sched };
}

/** Ends a started run (succeeded or failed) with its event; false when it had ended already. */
export async function finishRun(tx: Tx, s: ScheduleRow, slot: Date, outcome: "succeeded" | "failed", operationId: string | null, reason: string | null): Promise<boolean> {
  const rows = await tx.execute(sql`
    update schedule_runs set status = ${outcome}, reason = ${reason}, finished_at = now(), operation_id = coalesce(${operationId}::uuid, operation_id)
    where schedule_id = ${s.id} and slot = ${slot.toISOString()}::timestamptz and status = 'started'
    returning slot`);
  if (rows.length === 0) return false;
  await runEvent(tx, s, slot, `run_${outcome}`, operationId, { reason });
  return true;
}

/** The run that asked for this operation, if a schedule did, ends with it (in the result's transaction). */
export async function finishRunOfOperation(tx: Tx, operationId: string, outcome: "succeeded" | "failed", reason: string | null): Promise<void> {
  const rows = await tx.execute<{ schedule_id: string; slot: string }>(sql`
    select schedule_id, slot from schedule_runs where operation_id = ${operationId} and status = 'started'`);
  for (const r of rows) {
    const found = await getRun(tx, r.schedule_id, new Date(r.slot), true);
    if (found) await finishRun(tx, found.schedule, new Date(r.slot), outcome, operationId, reason);
  }
}

export async function listRuns(db: DbOrTx, scheduleId: string, limit: number): Promise<ScheduleRunRow[]> {
  return db.execute<ScheduleRunRow>(sql`select ${RUN_COLUMNS} from schedule_runs where schedule_id = ${scheduleId} order by slot desc limit ${limit}`);
}

/** The operation a task's subject (a backup) was queued as. */
export async function taskOperationId(tx: Tx, kind: string, subjectId: string): Promise<string | null> {
  const [row] = await tx.execute<{ id: string }>(sql`select id from operations where kind = ${kind} and subject_id = ${subjectId}`);
  return row?.id ?? null;
}
