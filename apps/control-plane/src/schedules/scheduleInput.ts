import type { Static } from "typebox";
import type { ScheduleBody } from "@zlh/api";
import type { ScheduleFields, ScheduleRow } from "@zlh/db";
import {
  checkSchedule,
  commandBytes,
  InvalidScheduleError,
  judgeDue,
  leadMs,
  MAX_COMMAND_BYTES,
  MISSED_POLICIES,
  NEXT_RUNS_SHOWN,
  nextSlots,
  parseCron,
  SCHEDULE_ACTIONS,
  slotAtOrAfter,
  type MissedPolicy,
  type ScheduleAction,
} from "@zlh/domain";
import { isoTime } from "../servers/present";

export type ScheduleInput = Static<typeof ScheduleBody>;
type Body = ScheduleInput;

const oneOf = <T extends string>(list: readonly T[], v: string, what: string): T => {
  if ((list as readonly string[]).includes(v)) return v as T;
  throw new InvalidScheduleError(`${what} ${JSON.stringify(v)} is not one of ${list.join(", ")}.`);
};

/**
 * A schedule as asked for, checked (422 invalid_schedule with the reason)
 * and turned into what is stored: its first slot is the first at or after
 * `now` (the database's clock is the tick's; the API's is close enough to
 * place the first slot) and after `lastSlot`, the newest slot claimed (a
 * change during a countdown must not place the countdown's slot again).
 */
export function scheduleFields(b: Body, minIntervalMs: number, now: Date, lastSlot: Date | null = null): ScheduleFields {
  const action = oneOf<ScheduleAction>(SCHEDULE_ACTIONS, b.action, "action");
  const missedPolicy = oneOf<MissedPolicy>(MISSED_POLICIES, b.missedPolicy ?? "skip", "missedPolicy");
  const timeZone = b.timeZone ?? "UTC";
  const countdown = b.countdown ?? true;
  let argument: string | null = null;
  if (action === "command") argument = needed(b.command, "command", "a command schedule needs `command`");
  else if (action === "announce") argument = needed(b.message, "say ", "an announce schedule needs `message`");
  else if (b.command !== undefined || b.message !== undefined) throw new InvalidScheduleError(`A ${action} schedule takes neither \`command\` nor \`message\`.`);
  if (action === "command" && b.message !== undefined) throw new InvalidScheduleError("A command schedule takes `command`, not `message`.");
  if (action === "announce" && b.command !== undefined) throw new InvalidScheduleError("An announce schedule takes `message`, not `command`.");
  checkSchedule({ cron: b.cron, timeZone, action, countdown }, minIntervalMs, now);
  const from = lastSlot !== null && lastSlot.getTime() >= now.getTime() ? new Date(lastSlot.getTime() + 1) : now;
  const nextSlot = slotAtOrAfter(parseCron(b.cron, timeZone), from);
  const lead = leadMs({ action, countdown });
  return { name: b.name, cron: b.cron, timeZone, action, argument, countdown, missedPolicy, nextSlot, dueAt: nextSlot && new Date(nextSlot.getTime() - lead) };
}

function needed(value: string | undefined | null, prefix: string, missing: string): string {
  if (value === undefined || value === null) throw new InvalidScheduleError(`${missing[0]!.toUpperCase()}${missing.slice(1)}.`);
  const bytes = commandBytes(prefix === "say " ? `say ${value}` : value);
  if (bytes > MAX_COMMAND_BYTES) throw new InvalidScheduleError(`The console line is ${bytes} bytes in UTF-8; vanilla's RCON accepts at most ${MAX_COMMAND_BYTES}.`);
  return value;
}

/** The stored schedule as the body it would be created with (a PATCH merges onto it). */
export function bodyOf(s: ScheduleRow): Body {
  return {
    name: s.name,
    cron: s.cron,
    timeZone: s.time_zone,
    action: s.action,
    ...(s.action === "command" ? { command: s.argument! } : {}),
    ...(s.action === "announce" ? { message: s.argument! } : {}),
    countdown: s.countdown,
    missedPolicy: s.missed_policy,
  };
}

/**
 * The slots a tick will still judge, from the stored next slot: a slot past
 * due but not yet taken comes first while it will still run (within the
 * tolerance, or late under run_late: then `late`); an ended schedule has none.
 */
function upcoming(s: ScheduleRow, ended: boolean, now: Date, toleranceMs: number): { nextRuns: string[]; nextRunLate: boolean } {
  if (ended || s.next_slot === null) return { nextRuns: [], nextRunLate: false };
  const cron = parseCron(s.cron, s.time_zone);
  const next = new Date(s.next_slot);
  if (next.getTime() > now.getTime()) return { nextRuns: [next, ...nextSlots(cron, next, NEXT_RUNS_SHOWN - 1)].map((d) => d.toISOString()), nextRunLate: false };
  const due = judgeDue(cron, { nextSlot: next, leadMs: 0, policy: s.missed_policy }, now, toleranceMs);
  const future = nextSlots(cron, now, NEXT_RUNS_SHOWN);
  if (!due || due.verdict === "skipped") return { nextRuns: future.map((d) => d.toISOString()), nextRunLate: false };
  return { nextRuns: [due.slot, ...future].slice(0, NEXT_RUNS_SHOWN).map((d) => d.toISOString()), nextRunLate: due.verdict === "late" };
}

export function presentSchedule(s: ScheduleRow, now: Date, toleranceMs: number, ended = false) {
  return {
    id: s.id,
    serverId: s.server_id,
    name: s.name,
    cron: s.cron,
    timeZone: s.time_zone,
    action: s.action,
    command: s.action === "command" ? s.argument : null,
    message: s.action === "announce" ? s.argument : null,
    countdown: s.countdown,
    missedPolicy: s.missed_policy,
    ...upcoming(s, ended, now, toleranceMs),
    createdAt: isoTime(s.created_at),
    updatedAt: isoTime(s.updated_at),
  };
}
