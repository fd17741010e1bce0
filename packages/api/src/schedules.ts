import Type from "typebox";
import { COMMAND_PATTERN, MAX_COMMAND_BYTES, MISSED_POLICIES, SCHEDULE_ACTIONS } from "@zlh/domain";
import { Timestamp, Uuid } from "./primitives";

/** A console line (the schedule's input checks its bytes, with `say ` for an announcement). */
const Printable = (description: string) => Type.String({ minLength: 1, maxLength: MAX_COMMAND_BYTES, pattern: COMMAND_PATTERN, description });

const fields = {
  name: Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9 ._-]*$", description: "Unique among the server's schedules; events name it as their actor (`schedule:<name>`)." }),
  cron: Type.String({
    minLength: 1,
    maxLength: 128,
    description: "A cron expression (5 fields, or 6 with seconds first), read by croner in `timeZone`; slots closer than ZLH_SCHEDULE_MIN_INTERVAL_MS are refused.",
  }),
  timeZone: Type.String({ minLength: 1, maxLength: 64, description: 'An IANA time zone, e.g. "Europe/Berlin" (default "UTC"); daylight saving time is followed.' }),
  action: Type.Enum(SCHEDULE_ACTIONS, { title: "ScheduleAction", description: "`backup`, `restart`, `command` (needs `command`) or `announce` (needs `message`)." }),
  command: Printable("command: the console line to run."),
  message: Printable("announce: the text said in game (`say`)."),
  countdown: Type.Boolean({ description: "restart: warn in game 5 min, 1 min and 10 s before (default true)." }),
  missedPolicy: Type.Enum(MISSED_POLICIES, { title: "MissedPolicy", description: "A slot missed while every control plane was down: `skip` (recorded skipped, the default) or `run_late` (run once, marked late)." }),
};

export const ScheduleBody = Type.Object(
  {
    name: fields.name,
    cron: fields.cron,
    timeZone: Type.Optional(fields.timeZone),
    action: fields.action,
    command: Type.Optional(fields.command),
    message: Type.Optional(fields.message),
    countdown: Type.Optional(fields.countdown),
    missedPolicy: Type.Optional(fields.missedPolicy),
  },
  { additionalProperties: false, title: "CreateScheduleBody" },
);

export const SchedulePatch = Type.Object(
  {
    name: Type.Optional(fields.name),
    cron: Type.Optional(fields.cron),
    timeZone: Type.Optional(fields.timeZone),
    action: Type.Optional(fields.action),
    command: Type.Optional(Type.Union([fields.command, Type.Null()])),
    message: Type.Optional(Type.Union([fields.message, Type.Null()])),
    countdown: Type.Optional(fields.countdown),
    missedPolicy: Type.Optional(fields.missedPolicy),
  },
  { additionalProperties: false, minProperties: 1, title: "UpdateScheduleBody" },
);

export const Schedule = Type.Object({
  id: Uuid,
  serverId: Uuid,
  name: Type.String(),
  cron: Type.String(),
  timeZone: Type.String(),
  action: fields.action,
  command: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  countdown: Type.Boolean(),
  missedPolicy: fields.missedPolicy,
  nextRuns: Type.Array(Timestamp, {
    description:
      "The slots still to run (up to 5): from the next slot not yet taken (a slot a countdown has claimed is a run, not listed); a slot past due that still runs comes first; empty for an ended schedule.",
  }),
  nextRunLate: Type.Boolean({ description: "nextRuns[0] is past its tolerance and runs late (missedPolicy run_late)." }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
}, { title: "Schedule" });
export const ScheduleList = Type.Object({ items: Type.Array(Schedule) }, { title: "ScheduleList" });
export const ScheduleParams = Type.Object({ id: Type.String({ maxLength: 64 }), scheduleId: Type.String({ maxLength: 64 }) });

export const ScheduleRun = Type.Object({
  slot: Timestamp,
  status: Type.Enum(["started", "succeeded", "failed", "skipped"], { title: "ScheduleRunStatus" }),
  late: Type.Boolean({ description: "Run after its tolerance had passed (missedPolicy run_late)." }),
  missedBefore: Type.Integer({ description: "Missed slots before this one, counted but not run." }),
  operationId: Type.Union([Uuid, Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], {
    description:
      "Why it was skipped or failed: `missed` (past its tolerance while no control plane took it), `server_busy` (past its tolerance while the server had an operation in flight), or a sentence.",
  }),
  startedAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
}, { title: "ScheduleRun" });
export const ScheduleRunList = Type.Object({ items: Type.Array(ScheduleRun) }, { title: "ScheduleRunList" });
